package awstest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ---- HTTP ----

var stsActions = map[string]bool{"GetCallerIdentity": true, "AssumeRole": true, "GetSessionToken": true}

// ServeHTTP implements http.Handler.
func (s *FaultServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}
	req.Region, _ = signingScope(r.Header.Get("Authorization"))
	s.classify(r, &req)

	s.mu.Lock()
	s.counts[req.Op]++
	req.N = s.counts[req.Op]
	idx := len(s.reqs)
	s.reqs = append(s.reqs, req)
	hooks := s.hooks[req.Op][req.N]
	var f *Fault
	if plan := s.faults[req.Op]; len(plan) > 0 {
		f = plan[0]
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults[req.Op] = plan[1:]
			}
		}
	}
	s.mu.Unlock()

	for _, h := range hooks {
		h()
	}
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		s.mu.Lock()
		s.reqs[idx].Response = rec.status
		s.reqs[idx].Faulted = f != nil
		s.mu.Unlock()
	}()

	if req.Op == "unknown" {
		s.t.Errorf("FaultServer: unexpected request %s %s (Action=%q, X-Amz-Target=%q)", r.Method, r.URL, req.Form.Get("Action"), r.Header.Get("X-Amz-Target"))
		s.writeError(rec, &req, http.StatusNotImplemented, "NotImplemented", "FaultServer does not implement this request", nil)
		return
	}
	if f != nil {
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if f.Reset {
			resetConnection(w)
			return
		}
		if f.Status != 0 {
			s.writeError(rec, &req, f.Status, f.Code, f.Message, f.Header)
			return
		}
	}
	s.handle(rec, &req)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// resetConnection makes the client see "connection reset by peer".
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("FaultServer: ResponseWriter cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// signingScope extracts region and service from a SigV4 Authorization header.
func signingScope(auth string) (region, service string) {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return "", ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/") // AKID/DATE/REGION/SERVICE/aws4_request
	if len(parts) < 5 {
		return "", ""
	}
	return parts[2], parts[3]
}

func (s *FaultServer) classify(r *http.Request, req *Request) {
	req.Op = "unknown"
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		svc, action, _ := strings.Cut(target, ".")
		switch svc {
		case "TrentService":
			req.Op = "kms:" + action
		case "AWSOrganizationsV20161128":
			req.Op = "organizations:" + action
		}
		var in struct{ KeyId string }
		if json.Unmarshal(req.Body, &in) == nil {
			req.Target = in.KeyId
		}
		return
	}
	if r.Method == http.MethodPost && r.URL.Path == "/" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(req.Body))
		if err != nil {
			return
		}
		req.Form = form
		action := form.Get("Action")
		_, service := signingScope(r.Header.Get("Authorization"))
		switch {
		case service == "sts" || (service == "" && stsActions[action]):
			req.Op = "sts:" + action
		case action != "":
			req.Op = "iam:" + action
		}
		req.Target = form.Get("RoleName")
		return
	}
	if _, service := signingScope(r.Header.Get("Authorization")); service == "backup" {
		classifyBackup(r, req)
		return
	}
	// S3, path-style.
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	req.Bucket = bucket
	q := r.URL.Query()
	if bucket == "" {
		if r.Method == http.MethodGet {
			req.Op = "s3:ListBuckets"
		}
		return
	}
	if key != "" {
		return // object operations are not implemented
	}
	sub := map[string]string{
		"policy": "BucketPolicy", "versioning": "BucketVersioning", "location": "BucketLocation",
		"ownershipControls": "BucketOwnershipControls", "encryption": "BucketEncryption",
	}
	for param, name := range sub {
		if q.Has(param) {
			switch r.Method {
			case http.MethodGet:
				req.Op = "s3:Get" + name
			case http.MethodPut:
				req.Op = "s3:Put" + name
			case http.MethodDelete:
				req.Op = "s3:Delete" + name
			}
			return
		}
	}
	if len(q) > 0 {
		return
	}
	switch r.Method {
	case http.MethodHead:
		req.Op = "s3:HeadBucket"
	case http.MethodPut:
		req.Op = "s3:CreateBucket"
	case http.MethodDelete:
		req.Op = "s3:DeleteBucket"
	}
}

func protocolOf(op string) string {
	switch {
	case strings.HasPrefix(op, "iam:"), strings.HasPrefix(op, "sts:"):
		return "query"
	case strings.HasPrefix(op, "kms:"), strings.HasPrefix(op, "organizations:"), strings.HasPrefix(op, "backup:"):
		return "json" // AWS Backup is REST-JSON: its errors are the same shape
	}
	return "s3"
}

var defaultMessages = map[string]string{
	"AccessDenied":          "Access Denied",
	"AccessDeniedException": "User is not authorized to perform this operation",
	"SlowDown":              "Please reduce your request rate.",
	"Throttling":            "Rate exceeded",
	"InternalError":         "We encountered an internal error. Please try again.",
	"ServiceUnavailable":    "Please reduce your request rate.",
	"ExpiredToken":          "The provided token has expired.",
	"InvalidAccessKeyId":    "The AWS Access Key Id you provided does not exist in our records.",
	"MethodNotAllowed":      "The specified method is not allowed against this resource.",
	"PermanentRedirect":     "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
	"MalformedPolicy":       "Policies must be valid JSON and the first byte must be '{'",
}

func (s *FaultServer) requestID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	return fmt.Sprintf("FAKEREQ%09d", s.nextID)
}

// writeError answers with an AWS error in the protocol of the request's operation.
func (s *FaultServer) writeError(w http.ResponseWriter, req *Request, status int, code, msg string, hdr http.Header) {
	if msg == "" {
		msg = defaultMessages[code]
	}
	if code == "" {
		code = strings.ReplaceAll(http.StatusText(status), " ", "")
	}
	for k, vs := range hdr {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	rid := s.requestID()
	switch protocolOf(req.Op) {
	case "query":
		typ := "Sender"
		if status >= 500 {
			typ = "Receiver"
		}
		ns := "https://iam.amazonaws.com/doc/2010-05-08/"
		if strings.HasPrefix(req.Op, "sts:") {
			ns = "https://sts.amazonaws.com/doc/2011-06-15/"
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", rid)
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			ns, typ, esc(code), esc(msg), rid)
	case "json":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.Header().Set("x-amzn-RequestId", rid)
		w.WriteHeader(status)
		b, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
		w.Write(b)
	default:
		w.Header().Set("x-amz-request-id", rid)
		w.Header().Set("x-amz-id-2", "FAKEHOSTID")
		if req.Method == http.MethodHead {
			w.WriteHeader(status) // HEAD responses carry no body
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Error><Code>%s</Code><Message>%s</Message>`, esc(code), esc(msg))
		if req.Bucket != "" {
			fmt.Fprintf(w, `<BucketName>%s</BucketName>`, esc(req.Bucket))
		}
		fmt.Fprintf(w, `<RequestId>%s</RequestId><HostId>FAKEHOSTID</HostId></Error>`, rid)
	}
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (s *FaultServer) handle(w http.ResponseWriter, req *Request) {
	switch protocolOf(req.Op) {
	case "query":
		s.handleQuery(w, req)
	case "json":
		if strings.HasPrefix(req.Op, "backup:") {
			s.handleBackup(w, req)
			return
		}
		s.handleJSON(w, req)
	default:
		s.handleS3(w, req)
	}
}
