package awstest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// authorizationForm is the Authorization header of a SigV4-signed request.
var authorizationForm = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`)

// AuthorizationForm reports whether h has the form of a SigV4
// Authorization header, and returns its access key, date, region,
// service and signed headers.
func AuthorizationForm(h string) (key, date, region, service string, signed []string, ok bool) {
	m := authorizationForm.FindStringSubmatch(h)
	if m == nil {
		return "", "", "", "", nil, false
	}
	return m[1], m[2], m[3], m[4], strings.Split(m[5], ";"), true
}

// maxSkew is how far a request's X-Amz-Date may be from the server's
// clock, as AWS allows.
const maxSkew = 15 * time.Minute

// verifySigV4 recomputes the Signature Version 4 signature of r (body is
// its payload) with the given credentials, following AWS's description of
// the algorithm, and reports how it differs from the one r carries.
func verifySigV4(r *http.Request, body []byte, service, region, accessKey, secretKey string, now time.Time) error {
	key, date, reqRegion, reqService, signed, ok := AuthorizationForm(r.Header.Get("Authorization"))
	if !ok {
		return errors.New("the Authorization header is not AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…")
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	switch {
	case err != nil:
		return errors.New("X-Amz-Date is missing or not yyyymmddThhmmssZ")
	case key != accessKey:
		return errors.New("the access key is unknown")
	case date != amzDate[:8]:
		return errors.New("the credential scope's date is not X-Amz-Date's")
	case reqRegion != region || reqService != service:
		return fmt.Errorf("the credential scope is %s/%s, not %s/%s", reqRegion, reqService, region, service)
	case t.Sub(now) > maxSkew || now.Sub(t) > maxSkew:
		return errors.New("the signature has expired")
	case !slices.IsSorted(signed) || !slices.Contains(signed, "host") || !slices.Contains(signed, "x-amz-date"):
		return errors.New("SignedHeaders must be sorted and cover host and x-amz-date")
	}
	for _, h := range []string{"x-amz-target", "content-type", "x-amz-security-token"} {
		if r.Header.Get(h) != "" && !slices.Contains(signed, h) {
			return fmt.Errorf("%s is sent but not signed", h)
		}
	}

	var canon strings.Builder
	canon.WriteString(r.Method + "\n")
	canon.WriteString(canonicalURI(r.URL.EscapedPath()) + "\n")
	canon.WriteString(r.URL.RawQuery + "\n") // the calls tested carry no query
	for _, name := range signed {
		var v string
		switch name {
		case "host":
			v = r.Host
		default:
			v = strings.Join(r.Header.Values(name), ",")
		}
		canon.WriteString(name + ":" + strings.Join(strings.Fields(v), " ") + "\n")
	}
	canon.WriteString("\n" + strings.Join(signed, ";") + "\n")
	payload := sha256.Sum256(body)
	payloadHex := hex.EncodeToString(payload[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHex {
		return errors.New("X-Amz-Content-Sha256 is not the payload's hash")
	}
	canon.WriteString(payloadHex)

	scope := date + "/" + region + "/" + service + "/aws4_request"
	canonHash := sha256.Sum256([]byte(canon.String()))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(canonHash[:])
	k := hmacSHA256([]byte("AWS4"+secretKey), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, "aws4_request")
	want := hex.EncodeToString(hmacSHA256(k, toSign))
	got := authorizationForm.FindStringSubmatch(r.Header.Get("Authorization"))[6]
	if !hmac.Equal([]byte(got), []byte(want)) {
		return errors.New("the request signature we calculated does not match the signature you provided")
	}
	return nil
}

// canonicalURI is the path as SigV4 wants it for services other than S3:
// each segment URI-encoded once more. The paths here are "/".
func canonicalURI(escaped string) string {
	if escaped == "" {
		return "/"
	}
	segs := strings.Split(escaped, "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(s, "%", "%25")
	}
	return strings.Join(segs, "/")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
