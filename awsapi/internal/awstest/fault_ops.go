package awstest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ---- the S3, IAM, STS, KMS and Organizations operations ----

const s3ns = "http://s3.amazonaws.com/doc/2006-03-01/"

func writeXML(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+body)
}

// handleS3 routes one S3 request to its operation. It is one switch over
// the S3 REST operations the tests use, each case a few lines.
func (s *FaultServer) handleS3(w http.ResponseWriter, req *Request) {
	w.Header().Set("x-amz-request-id", s.requestID())
	if req.Op == "s3:ListBuckets" {
		s.listBuckets(w, req)
		return
	}
	if req.Op == "s3:CreateBucket" {
		s.createBucketFromRequest(w, req)
		return
	}

	s.mu.Lock()
	b, ok := s.buckets[req.Bucket]
	var snap Bucket
	if ok {
		snap = *b
	}
	s.mu.Unlock()
	if !ok {
		s.writeError(w, req, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", nil)
		return
	}
	if req.Op != "s3:GetBucketLocation" && req.Region != "" && req.Region != snap.Region {
		s.writeError(w, req, http.StatusMovedPermanently, "PermanentRedirect", "",
			http.Header{"X-Amz-Bucket-Region": {snap.Region}})
		return
	}
	if owner := req.Header.Get("X-Amz-Expected-Bucket-Owner"); owner != "" && owner != snap.Owner {
		s.writeError(w, req, http.StatusForbidden, "AccessDenied", "", nil)
		return
	}

	switch req.Op {
	case "s3:HeadBucket":
		w.Header().Set("x-amz-bucket-region", snap.Region)
		w.WriteHeader(http.StatusOK)
	case "s3:GetBucketLocation":
		loc := snap.Location
		if loc == "" && snap.Region != "us-east-1" {
			loc = snap.Region
		}
		if loc == "" {
			writeXML(w, 200, `<LocationConstraint xmlns="`+s3ns+`"/>`)
		} else {
			writeXML(w, 200, `<LocationConstraint xmlns="`+s3ns+`">`+esc(loc)+`</LocationConstraint>`)
		}
	case "s3:GetBucketPolicy":
		if !snap.HasPolicy {
			s.writeError(w, req, http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist", nil)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, snap.Policy)
	case "s3:PutBucketPolicy":
		switch {
		case len(bytes.TrimSpace(req.Body)) > maxPolicySize:
			s.writeError(w, req, http.StatusBadRequest, "PolicyTooLarge", "Policy exceeds the maximum allowed document size.", nil)
		case !json.Valid(req.Body) || !bytes.HasPrefix(bytes.TrimSpace(req.Body), []byte("{")):
			s.writeError(w, req, http.StatusBadRequest, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'", nil)
		default:
			s.mu.Lock()
			if b, ok := s.buckets[req.Bucket]; ok {
				b.Policy, b.HasPolicy = string(req.Body), true
			}
			s.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}
	case "s3:DeleteBucketPolicy":
		s.mu.Lock()
		if b, ok := s.buckets[req.Bucket]; ok {
			b.Policy, b.HasPolicy = "", false
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case "s3:GetBucketVersioning":
		if snap.Versioning == "" {
			writeXML(w, 200, `<VersioningConfiguration xmlns="`+s3ns+`"/>`)
		} else {
			writeXML(w, 200, `<VersioningConfiguration xmlns="`+s3ns+`"><Status>`+esc(snap.Versioning)+`</Status></VersioningConfiguration>`)
		}
	case "s3:PutBucketVersioning":
		var v struct{ Status string }
		if err := xml.Unmarshal(req.Body, &v); err != nil {
			s.writeError(w, req, http.StatusBadRequest, "MalformedXML", "", nil)
			return
		}
		s.mu.Lock()
		if b, ok := s.buckets[req.Bucket]; ok {
			b.Versioning = v.Status
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	case "s3:GetBucketOwnershipControls":
		if snap.ObjectOwnership == "" {
			s.writeError(w, req, http.StatusNotFound, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found", nil)
			return
		}
		writeXML(w, 200, `<OwnershipControls xmlns="`+s3ns+`"><Rule><ObjectOwnership>`+esc(snap.ObjectOwnership)+`</ObjectOwnership></Rule></OwnershipControls>`)
	case "s3:PutBucketOwnershipControls":
		s.putOwnership(w, req)
	case "s3:GetBucketEncryption":
		if snap.SSEAlgorithm == "" {
			s.writeError(w, req, http.StatusNotFound, "ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found", nil)
			return
		}
		key := ""
		if snap.KMSKeyID != "" {
			key = `<KMSMasterKeyID>` + esc(snap.KMSKeyID) + `</KMSMasterKeyID>`
		}
		writeXML(w, 200, `<ServerSideEncryptionConfiguration xmlns="`+s3ns+`"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>`+
			esc(snap.SSEAlgorithm)+`</SSEAlgorithm>`+key+`</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`)
	case "s3:DeleteBucket":
		s.mu.Lock()
		delete(s.buckets, req.Bucket)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		s.t.Errorf("FaultServer: %s is not implemented", req.Op)
		s.writeError(w, req, http.StatusNotImplemented, "NotImplemented", "", nil)
	}
}

func (s *FaultServer) createBucketFromRequest(w http.ResponseWriter, req *Request) {
	var cfg struct{ LocationConstraint string }
	if len(bytes.TrimSpace(req.Body)) > 0 {
		if err := xml.Unmarshal(req.Body, &cfg); err != nil {
			s.writeError(w, req, http.StatusBadRequest, "MalformedXML", "", nil)
			return
		}
	}
	region := cfg.LocationConstraint
	if region == "" {
		region = "us-east-1"
	}
	if req.Region != "" && region != "EU" && region != req.Region {
		s.writeError(w, req, http.StatusBadRequest, "IllegalLocationConstraintException",
			fmt.Sprintf("The %s location constraint is incompatible for the region specific endpoint this request was sent to.", region), nil)
		return
	}
	s.mu.Lock()
	_, exists := s.buckets[req.Bucket]
	if !exists {
		s.createBucketLocked(req.Bucket, region)
	}
	s.mu.Unlock()
	if exists {
		s.writeError(w, req, http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", nil)
		return
	}
	w.Header().Set("Location", "/"+req.Bucket)
	w.WriteHeader(http.StatusOK)
}

func (s *FaultServer) listBuckets(w http.ResponseWriter, req *Request) {
	s.mu.Lock()
	var names []string
	for n := range s.buckets {
		names = append(names, n)
	}
	slices.Sort(names)
	token := req.Query.Get("continuation-token")
	max := len(names)
	if v, err := strconv.Atoi(req.Query.Get("max-buckets")); err == nil && v > 0 {
		max = v
	}
	var sb strings.Builder
	sb.WriteString(`<ListAllMyBucketsResult xmlns="` + s3ns + `"><Owner><ID>fakecanonicalid</ID><DisplayName>tester</DisplayName></Owner><Buckets>`)
	n, last, more := 0, "", false
	for _, name := range names {
		if token != "" && name <= token {
			continue
		}
		if n == max {
			more = true
			break
		}
		b := s.buckets[name]
		sb.WriteString(`<Bucket><Name>` + esc(name) + `</Name><CreationDate>2024-01-02T03:04:05.000Z</CreationDate>`)
		if !s.omitBucketRegion {
			sb.WriteString(`<BucketRegion>` + esc(b.Region) + `</BucketRegion>`)
		}
		sb.WriteString(`</Bucket>`)
		n, last = n+1, name
	}
	s.mu.Unlock()
	sb.WriteString(`</Buckets>`)
	if more {
		sb.WriteString(`<ContinuationToken>` + esc(last) + `</ContinuationToken>`)
	}
	sb.WriteString(`</ListAllMyBucketsResult>`)
	writeXML(w, 200, sb.String())
}

// encodeIAMDocument URL-encodes a policy document the way IAM does (RFC 3986).
func encodeIAMDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

func (s *FaultServer) handleQuery(w http.ResponseWriter, req *Request) {
	rid := s.requestID()
	action := strings.TrimPrefix(strings.TrimPrefix(req.Op, "iam:"), "sts:")
	writeQuery := func(ns, inner string) {
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("x-amzn-RequestId", rid)
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, `<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
			action, ns, action, inner, action, rid, action)
	}
	const iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"
	switch req.Op {
	case "sts:GetCallerIdentity":
		s.mu.Lock()
		c := s.caller
		s.mu.Unlock()
		writeQuery("https://sts.amazonaws.com/doc/2011-06-15/",
			`<Arn>`+esc(c.Arn)+`</Arn><UserId>`+esc(c.UserID)+`</UserId><Account>`+esc(c.Account)+`</Account>`)
	case "iam:GetRole", "iam:ListAttachedRolePolicies":
		s.roleQuery(w, req, writeQuery)
	case "iam:AttachRolePolicy", "iam:DetachRolePolicy":
		s.attachDetach(w, req, func(inner string) { writeQuery(iamNS, inner) })
	case "iam:SimulatePrincipalPolicy":
		writeQuery(iamNS, s.simulate(req))
	case "iam:GetPolicy", "iam:GetPolicyVersion":
		arn := req.Form.Get("PolicyArn")
		s.mu.Lock()
		doc, ok := s.managed[arn]
		s.mu.Unlock()
		if !ok {
			s.writeError(w, req, http.StatusNotFound, "NoSuchEntity", "Policy "+arn+" was not found.", nil)
			return
		}
		if req.Op == "iam:GetPolicy" {
			writeQuery(iamNS, `<Policy><Arn>`+esc(arn)+`</Arn><DefaultVersionId>v1</DefaultVersionId></Policy>`)
			return
		}
		writeQuery(iamNS, `<PolicyVersion><Document>`+esc(encodeIAMDocument(doc))+`</Document><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion></PolicyVersion>`)
	default:
		s.t.Errorf("FaultServer: %s is not implemented", req.Op)
		s.writeError(w, req, http.StatusBadRequest, "InvalidAction", "FaultServer does not implement "+action, nil)
	}
}

// attachDetach attaches or detaches a managed policy (iam:AttachRolePolicy,
// iam:DetachRolePolicy).
func (s *FaultServer) attachDetach(w http.ResponseWriter, req *Request, reply func(inner string)) {
	name, arn := req.Form.Get("RoleName"), req.Form.Get("PolicyArn")
	s.mu.Lock()
	r, ok := s.roles[name]
	found := false
	if ok {
		for i, a := range r.AttachedPolicies {
			if a == arn {
				found = true
				if req.Op == "iam:DetachRolePolicy" {
					r.AttachedPolicies = append(r.AttachedPolicies[:i:i], r.AttachedPolicies[i+1:]...)
				}
				break
			}
		}
		if !found && req.Op == "iam:AttachRolePolicy" {
			r.AttachedPolicies = append(r.AttachedPolicies, arn)
		}
	}
	s.mu.Unlock()
	switch {
	case !ok:
		s.writeError(w, req, http.StatusNotFound, "NoSuchEntity", "The role with name "+name+" cannot be found.", nil)
	case !found && req.Op == "iam:DetachRolePolicy":
		s.writeError(w, req, http.StatusNotFound, "NoSuchEntity", "Policy "+arn+" was not found.", nil)
	default:
		reply("")
	}
}

func (s *FaultServer) handleJSON(w http.ResponseWriter, req *Request) {
	var in map[string]any
	_ = json.Unmarshal(req.Body, &in)
	reply := func(v any) {
		b, _ := json.Marshal(v)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("x-amzn-RequestId", s.requestID())
		w.WriteHeader(http.StatusOK)
		w.Write(b)
	}
	switch req.Op {
	case "kms:GetKeyPolicy":
		key, _ := in["KeyId"].(string)
		s.mu.Lock()
		p, ok := s.keys[key]
		s.mu.Unlock()
		if !ok {
			s.writeError(w, req, http.StatusBadRequest, "NotFoundException", "Key '"+key+"' does not exist", nil)
			return
		}
		reply(map[string]string{"Policy": p, "PolicyName": "default"})
	case "kms:PutKeyPolicy":
		key, _ := in["KeyId"].(string)
		pol, _ := in["Policy"].(string)
		s.mu.Lock()
		_, ok := s.keys[key]
		if ok {
			s.keys[key] = pol
		}
		s.mu.Unlock()
		if !ok {
			s.writeError(w, req, http.StatusBadRequest, "NotFoundException", "Key '"+key+"' does not exist", nil)
			return
		}
		if in["BypassPolicyLockoutSafetyCheck"] == true {
			s.t.Errorf("FaultServer: kms:PutKeyPolicy with BypassPolicyLockoutSafetyCheck")
		}
		reply(map[string]string{})
	case "organizations:DescribeOrganization":
		s.mu.Lock()
		id, acct := s.orgID, s.Account
		s.mu.Unlock()
		if id == "" {
			s.writeError(w, req, http.StatusBadRequest, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.", nil)
			return
		}
		reply(map[string]any{"Organization": map[string]any{
			"Id": id, "Arn": "arn:aws:organizations::" + acct + ":organization/" + id,
			"MasterAccountId": acct, "FeatureSet": "ALL",
		}})
	default:
		s.t.Errorf("FaultServer: %s is not implemented", req.Op)
		s.writeError(w, req, http.StatusBadRequest, "UnknownOperationException", "", nil)
	}
}

// simulate answers iam:SimulatePrincipalPolicy for the actions asked.
func (s *FaultServer) simulate(req *Request) string {
	var sb strings.Builder
	sb.WriteString(`<EvaluationResults>`)
	for i := 1; req.Form.Has(fmt.Sprintf("ActionNames.member.%d", i)); i++ {
		action := req.Form.Get(fmt.Sprintf("ActionNames.member.%d", i))
		s.mu.Lock()
		sim, ok := s.simulations[action]
		s.mu.Unlock()
		if !ok {
			sim.Decision = "allowed"
		}
		sb.WriteString(`<member><EvalActionName>` + esc(action) + `</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>` + esc(sim.Decision) + `</EvalDecision>`)
		fmt.Fprintf(&sb, `<OrganizationsDecisionDetail><AllowedByOrganizations>%t</AllowedByOrganizations></OrganizationsDecisionDetail>`, !sim.DeniedBySCP)
		fmt.Fprintf(&sb, `<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>%t</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>`, !sim.DeniedByBoundary)
		sb.WriteString(`<MatchedStatements/></member>`)
	}
	sb.WriteString(`</EvaluationResults><IsTruncated>false</IsTruncated>`)
	return sb.String()
}

// putOwnership stores a bucket's ObjectOwnership (s3:PutBucketOwnershipControls).
func (s *FaultServer) putOwnership(w http.ResponseWriter, req *Request) {
	var v struct {
		Rule struct{ ObjectOwnership string }
	}
	if err := xml.Unmarshal(req.Body, &v); err != nil || v.Rule.ObjectOwnership == "" {
		s.writeError(w, req, http.StatusBadRequest, "MalformedXML", "", nil)
		return
	}
	s.mu.Lock()
	if b, ok := s.buckets[req.Bucket]; ok {
		b.ObjectOwnership = v.Rule.ObjectOwnership
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// roleQuery answers iam:GetRole and iam:ListAttachedRolePolicies.
func (s *FaultServer) roleQuery(w http.ResponseWriter, req *Request, writeQuery func(ns, inner string)) {
	const iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"
	name := req.Form.Get("RoleName")
	s.mu.Lock()
	r, ok := s.roles[name]
	var role Role
	if ok {
		role = *r
		role.AttachedPolicies = slices.Clone(r.AttachedPolicies)
	}
	s.mu.Unlock()
	if !ok {
		s.writeError(w, req, http.StatusNotFound, "NoSuchEntity", "The role with name "+name+" cannot be found.", nil)
		return
	}
	if req.Op == "iam:GetRole" {
		boundary := ""
		if role.Boundary != "" {
			boundary = `<PermissionsBoundary><PermissionsBoundaryType>Policy</PermissionsBoundaryType><PermissionsBoundaryArn>` +
				esc(role.Boundary) + `</PermissionsBoundaryArn></PermissionsBoundary>`
		}
		writeQuery(iamNS, `<Role><Path>`+esc(role.Path)+`</Path><AssumeRolePolicyDocument>`+esc(encodeIAMDocument(role.TrustPolicy))+
			`</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration><RoleId>`+esc(role.RoleID)+`</RoleId><RoleName>`+
			esc(role.Name)+`</RoleName><Arn>`+esc(role.Arn)+`</Arn><CreateDate>2024-01-02T03:04:05Z</CreateDate>`+boundary+`</Role>`)
		return
	}
	start := 0
	if m := req.Form.Get("Marker"); m != "" {
		start, _ = strconv.Atoi(m)
	}
	max := 100
	if v, err := strconv.Atoi(req.Form.Get("MaxItems")); err == nil && v > 0 {
		max = v
	}
	var sb strings.Builder
	sb.WriteString(`<AttachedPolicies>`)
	end := min(start+max, len(role.AttachedPolicies))
	for _, a := range role.AttachedPolicies[min(start, end):end] {
		name := a[strings.LastIndex(a, "/")+1:]
		sb.WriteString(`<member><PolicyName>` + esc(name) + `</PolicyName><PolicyArn>` + esc(a) + `</PolicyArn></member>`)
	}
	sb.WriteString(`</AttachedPolicies>`)
	if end < len(role.AttachedPolicies) {
		sb.WriteString(`<IsTruncated>true</IsTruncated><Marker>` + strconv.Itoa(end) + `</Marker>`)
	} else {
		sb.WriteString(`<IsTruncated>false</IsTruncated>`)
	}
	writeQuery(iamNS, sb.String())
}
