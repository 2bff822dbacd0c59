package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/authwire/authwire/auth"
	"github.com/authwire/authwire/internal/awstest"
	"github.com/authwire/authwire/internal/testbin"
)

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// findRIE returns the AWS Lambda Runtime Interface Emulator:
// $AUTHWIRE_LAMBDA_RIE, which .ci/run sets after building it, or
// aws-lambda-rie on the PATH.
func findRIE(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AUTHWIRE_LAMBDA_RIE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("AUTHWIRE_LAMBDA_RIE: %v", err)
		}
		return p
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	testbin.Unavailable(t, "the AWS Lambda Runtime Interface Emulator is not found: build it with "+
		"`GOBIN=$dir go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@<version>` "+
		"and set AUTHWIRE_LAMBDA_RIE=$dir/aws-lambda-rie (.ci/run does)")
	return ""
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).AddrPort().String()
}

// startFunction builds this command as a Lambda bootstrap and runs it
// under the emulator with env, and returns the emulator's invocation URL.
func startFunction(t *testing.T, env []string) string {
	t.Helper()
	rie := findRIE(t)
	dir := t.TempDir()
	bootstrap := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bootstrap, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr, runtimeAddr := freePort(t), freePort(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", runtimeAddr, bootstrap)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "AWS_LAMBDA_FUNCTION_TIMEOUT=30",
		"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull}, env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the emulator starts the bootstrap: stop both
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		if t.Failed() {
			t.Logf("emulator and function output:\n%s", logs.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator does not listen on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "http://" + addr + "/2015-03-31/functions/function/invocations"
}

// invoke sends one event and returns the function's JSON answer, or the
// message of the error it returned.
func invoke(t *testing.T, url string, event any) (answer []byte, errorMessage string) {
	t.Helper()
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invocation: %s %s", resp.Status, body.String())
	}
	var fnErr struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if json.Unmarshal(body.Bytes(), &fnErr) == nil && fnErr.ErrorMessage != "" {
		return nil, fnErr.ErrorMessage
	}
	return body.Bytes(), ""
}

// TestUnderRuntimeInterfaceEmulator runs the built function under the
// AWS Lambda Runtime Interface Emulator, with its users in an SSM
// parameter served by the stand-in for AWS, and invokes it over HTTP as
// Lambda would with REQUEST, TOKEN and HTTP API events.
func TestUnderRuntimeInterfaceEmulator(t *testing.T) {
	srv := awstest.New(t)
	srv.SessionToken = "token-of-the-function-role"
	srv.SetParameter("/demo/users", `{"admin":"`+mustHash(t, "adm1n-pw")+`","viewer":"v1ewer-pw"}`)
	url := startFunction(t, append(srv.Env(),
		"AUTHWIRE_USERS_PARAMETER=/demo/users",
		`AUTHWIRE_GROUPS={"admin":["admin","ops"],"viewer":["viewer"]}`,
		`AUTHWIRE_GRANTS={"admin":["*"],"viewer":["GET/*"]}`,
	))
	const (
		arn   = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/reports"
		stage = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/"
	)
	rest := func(authorization string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
		return events.APIGatewayCustomAuthorizerRequestTypeRequest{
			Type: "REQUEST", MethodArn: arn, Path: "/reports", HTTPMethod: "GET",
			Headers:           map[string]string{"Authorization": authorization},
			MultiValueHeaders: map[string][]string{"Authorization": {authorization}},
			RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
				Identity: events.APIGatewayCustomAuthorizerRequestTypeRequestIdentity{SourceIP: "198.51.100.20"},
			},
		}
	}
	checkPolicy := func(out []byte, user, groups, effect string, resources ...string) {
		t.Helper()
		var r events.APIGatewayCustomAuthorizerResponse
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if r.PrincipalID != user || r.Context["user"] != user || r.Context["groups"] != groups {
			t.Errorf("principal %q, context %v; want %s (%s)", r.PrincipalID, r.Context, user, groups)
		}
		if len(r.PolicyDocument.Statement) != 1 || r.PolicyDocument.Version != "2012-10-17" {
			t.Fatalf("policy %+v", r.PolicyDocument)
		}
		st := r.PolicyDocument.Statement[0]
		if st.Effect != effect || !slices.Equal(st.Action, []string{"execute-api:Invoke"}) || !slices.Equal(st.Resource, resources) {
			t.Errorf("statement %+v, want %s on %v", st, effect, resources)
		}
	}

	out, msg := invoke(t, url, rest(basic("admin", "adm1n-pw")))
	if msg != "" {
		t.Fatalf("REQUEST as admin: error %q", msg)
	}
	checkPolicy(out, "admin", "admin,ops", "Allow", stage+"*")

	out, msg = invoke(t, url, rest(basic("viewer", "v1ewer-pw")))
	if msg != "" {
		t.Fatalf("REQUEST as viewer: error %q", msg)
	}
	checkPolicy(out, "viewer", "viewer", "Allow", stage+"GET/*")

	for name, h := range map[string]string{
		"wrong password": basic("admin", "v1ewer-pw"),
		"unknown user":   basic("nobody", "adm1n-pw"),
		"malformed":      "Basic ###",
		"empty":          "",
	} {
		if out, msg := invoke(t, url, rest(h)); msg != "Unauthorized" {
			t.Errorf("REQUEST, %s: %s %q; want the error Unauthorized", name, out, msg)
		}
	}

	out, msg = invoke(t, url, events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: basic("viewer", "v1ewer-pw"), MethodArn: arn})
	if msg != "" {
		t.Fatalf("TOKEN: error %q", msg)
	}
	checkPolicy(out, "viewer", "viewer", "Allow", stage+"GET/*")
	if out, msg := invoke(t, url, events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN", AuthorizationToken: "Bearer x", MethodArn: arn}); msg != "Unauthorized" {
		t.Errorf("TOKEN, another scheme: %s %q", out, msg)
	}

	v2 := func(method, authorization string) events.APIGatewayV2CustomAuthorizerV2Request {
		return events.APIGatewayV2CustomAuthorizerV2Request{
			Version: "2.0", Type: "REQUEST", RawPath: "/reports",
			RouteArn: "arn:aws:execute-api:eu-west-1:123456789012:api9/$default/" + method + "/reports",
			Headers:  map[string]string{"authorization": authorization},
			RequestContext: events.APIGatewayV2HTTPRequestContext{
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: "/reports", SourceIP: "203.0.113.5"},
			},
		}
	}
	var simple events.APIGatewayV2CustomAuthorizerSimpleResponse
	out, msg = invoke(t, url, v2("GET", basic("viewer", "v1ewer-pw")))
	if err := json.Unmarshal(out, &simple); msg != "" || err != nil || !simple.IsAuthorized ||
		simple.Context["user"] != "viewer" || simple.Context["groups"] != "viewer" {
		t.Fatalf("HTTP API GET as viewer: %s %q", out, msg)
	}
	simple = events.APIGatewayV2CustomAuthorizerSimpleResponse{}
	out, msg = invoke(t, url, v2("POST", basic("viewer", "v1ewer-pw")))
	if err := json.Unmarshal(out, &simple); msg != "" || err != nil || simple.IsAuthorized || !strings.Contains(string(out), `"isAuthorized":false`) {
		t.Fatalf("HTTP API POST as viewer: %s %q", out, msg)
	}
	if out, msg := invoke(t, url, v2("GET", basic("viewer", "nope"))); msg != "Unauthorized" {
		t.Errorf("HTTP API, wrong password: %s %q", out, msg)
	}

	// The function read its users once (at start-up, within the TTL),
	// signed with the credentials Lambda gave it.
	reqs := srv.Requests()
	if len(reqs) != 1 || !reqs[0].SignatureOK || reqs[0].Target != awstest.TargetGetParameter {
		t.Fatalf("requests to SSM: %+v", reqs)
	}
}

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
