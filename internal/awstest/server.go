// Package awstest serves, for tests, the two AWS calls authwire's
// awssource makes, over their real wire protocol on a loopback listener:
// SSM's GetParameter and Secrets Manager's GetSecretValue, AWS JSON 1.1
// (POST / with X-Amz-Target: AmazonSSM.GetParameter or
// secretsmanager.GetSecretValue). No AWS emulator can be installed where
// the tests run, so this stands in for AWS, and the real aws-sdk-go-v2
// clients talk to it through an endpoint override.
//
// Every request must be signed with Signature Version 4 by the server's
// credentials: the server recomputes the signature from the request and
// refuses one that differs, as AWS does. It answers as AWS documents,
// including the error shapes ParameterNotFound, ResourceNotFoundException,
// ThrottlingException and InvalidSignatureException, and records what it
// was sent.
package awstest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The targets the server answers.
const (
	TargetGetParameter   = "AmazonSSM.GetParameter"
	TargetGetSecretValue = "secretsmanager.GetSecretValue"
)

// Request is what the server recorded of one call.
type Request struct {
	// Target is the X-Amz-Target header.
	Target string
	// Authorization and Date are the Authorization and X-Amz-Date
	// headers as sent.
	Authorization, Date string
	// SignatureOK is true when the signature was the one the server
	// computed.
	SignatureOK bool
	// Body is the JSON the call sent.
	Body map[string]any
}

// Server is the stand-in for AWS. Its zero value is not usable; call New.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:port.
	URL string
	// Region, AccessKey, SecretKey and SessionToken are the credentials
	// a request must be signed with (SessionToken may be empty).
	Region, AccessKey, SecretKey, SessionToken string

	srv *httptest.Server

	mu       sync.Mutex
	params   map[string]string // SecureString parameters
	versions map[string]int64
	secrets  map[string]secret
	failWith string // an error type to answer every call with, or ""
	failN    int    // how many more calls get failWith; <0 without end
	requests []Request
}

type secret struct {
	text   string
	binary []byte
}

// New starts a server, closed when t ends, that accepts requests signed
// for eu-west-1 with the access key AKIDAWSTEST.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		Region:    "eu-west-1",
		AccessKey: "AKIDAWSTEST",
		SecretKey: "awstest/secret+key/that-is-40-characters",
		params:    map[string]string{},
		versions:  map[string]int64{},
		secrets:   map[string]secret{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Client returns an HTTP client for the server, whose idle connections
// are closed with it.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close stops the server: later calls find nothing listening.
func (s *Server) Close() { s.srv.Close() }

// Env returns the environment that points an SDK configured from the
// environment (config.LoadDefaultConfig) at the server with its
// credentials.
func (s *Server) Env() []string {
	env := []string{
		"AWS_ENDPOINT_URL_SSM=" + s.URL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + s.URL,
		"AWS_REGION=" + s.Region,
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
	}
	if s.SessionToken != "" {
		env = append(env, "AWS_SESSION_TOKEN="+s.SessionToken)
	}
	return env
}

// SetParameter stores a SecureString parameter, a new version of it if it
// exists.
func (s *Server) SetParameter(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.params[name] = value
	s.versions[name]++
}

// SetSecret stores a secret's SecretString.
func (s *Server) SetSecret(id, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[id] = secret{text: value}
}

// SetSecretBinary stores a secret's SecretBinary.
func (s *Server) SetSecretBinary(id string, value []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[id] = secret{binary: value}
}

// Fail makes the next n calls (every call, for n < 0) fail with the
// given error type, such as "ThrottlingException"; Fail("", 0) ends it.
func (s *Server) Fail(errorType string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failWith, s.failN = errorType, n
}

// Requests returns the calls received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// awsError writes an AWS JSON 1.1 error: the type in the body's __type
// and in X-Amzn-ErrorType.
func awsError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", errorType)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": errorType, "message": message})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-RequestId", "00000000-0000-4000-8000-000000000000")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost || r.URL.Path != "/" {
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	target := r.Header.Get("X-Amz-Target")
	rec := Request{Target: target, Authorization: r.Header.Get("Authorization"), Date: r.Header.Get("X-Amz-Date")}
	json.Unmarshal(body, &rec.Body)
	service := map[string]string{TargetGetParameter: "ssm", TargetGetSecretValue: "secretsmanager"}[target]
	sigErr := verifySigV4(r, body, service, s.Region, s.AccessKey, s.SecretKey, time.Now())
	if sigErr == nil && s.SessionToken != "" && r.Header.Get("X-Amz-Security-Token") != s.SessionToken {
		sigErr = fmt.Errorf("the security token included in the request is invalid")
	}
	rec.SignatureOK = sigErr == nil

	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, rec)
	switch {
	case service == "":
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "")
		return
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		awsError(w, http.StatusBadRequest, "SerializationException", "")
		return
	case sigErr != nil:
		awsError(w, http.StatusBadRequest, "InvalidSignatureException", sigErr.Error())
		return
	case s.failN != 0:
		if s.failN > 0 {
			s.failN--
		}
		message := map[string]string{"ThrottlingException": "Rate exceeded"}[s.failWith]
		awsError(w, http.StatusBadRequest, s.failWith, message)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if target == TargetGetParameter {
		s.getParameter(w, rec.Body)
	} else {
		s.getSecretValue(w, rec.Body)
	}
}

func (s *Server) getParameter(w http.ResponseWriter, in map[string]any) {
	name, _ := in["Name"].(string)
	value, ok := s.params[name]
	if !ok {
		awsError(w, http.StatusBadRequest, "ParameterNotFound", "")
		return
	}
	if decrypt, _ := in["WithDecryption"].(bool); !decrypt {
		// Without WithDecryption, a SecureString comes back encrypted.
		value = "AQICAHh" + base64.StdEncoding.EncodeToString([]byte("ciphertext of "+name))
	}
	json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{
		"ARN":              "arn:aws:ssm:" + s.Region + ":123456789012:parameter/" + strings.TrimPrefix(name, "/"),
		"DataType":         "text",
		"LastModifiedDate": 1.7e9,
		"Name":             name,
		"Type":             "SecureString",
		"Value":            value,
		"Version":          s.versions[name],
	}})
}

func (s *Server) getSecretValue(w http.ResponseWriter, in map[string]any) {
	id, _ := in["SecretId"].(string)
	sec, ok := s.secrets[id]
	if !ok {
		awsError(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	out := map[string]any{
		"ARN":           "arn:aws:secretsmanager:" + s.Region + ":123456789012:secret:" + id + "-AbCdEf",
		"CreatedDate":   1.7e9,
		"Name":          id,
		"VersionId":     "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
		"VersionStages": []string{"AWSCURRENT"},
	}
	if sec.binary != nil {
		out["SecretBinary"] = base64.StdEncoding.EncodeToString(sec.binary)
	} else {
		out["SecretString"] = sec.text
	}
	json.NewEncoder(w).Encode(out)
}
