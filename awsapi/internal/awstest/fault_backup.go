package awstest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// classifyBackup names AWS Backup's REST-JSON requests: GET /backup/plans/,
// /backup/plans/ID/selections/ and /backup/plans/ID/selections/SID.
func classifyBackup(r *http.Request, req *Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || len(parts) < 2 || parts[0] != "backup" || parts[1] != "plans" {
		return
	}
	switch len(parts) {
	case 2:
		req.Op = "backup:ListBackupPlans"
	case 4:
		req.Op, req.Target = "backup:ListBackupSelections", parts[2]
	case 5:
		req.Op, req.Target = "backup:GetBackupSelection", parts[2]+"/"+parts[4]
	}
}

// handleBackup answers the AWS Backup requests from s.selections: plan IDs
// are the plans' names, selection IDs their index.
func (s *FaultServer) handleBackup(w http.ResponseWriter, req *Request) {
	s.mu.Lock()
	sels := slices.Clone(s.selections)
	s.mu.Unlock()
	reply := func(v any) {
		b, _ := json.Marshal(v)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-amzn-RequestId", s.requestID())
		w.WriteHeader(http.StatusOK)
		w.Write(b)
	}
	switch req.Op {
	case "backup:ListBackupPlans":
		var plans []map[string]string
		for _, sel := range sels {
			if !slices.ContainsFunc(plans, func(p map[string]string) bool { return p["BackupPlanId"] == sel.Plan }) {
				plans = append(plans, map[string]string{"BackupPlanId": sel.Plan, "BackupPlanName": sel.Plan})
			}
		}
		reply(map[string]any{"BackupPlansList": plans})
	case "backup:ListBackupSelections":
		var list []map[string]string
		for i, sel := range sels {
			if sel.Plan == req.Target {
				list = append(list, map[string]string{"BackupPlanId": sel.Plan, "SelectionId": strconv.Itoa(i), "SelectionName": sel.Name, "IamRoleArn": sel.RoleARN})
			}
		}
		reply(map[string]any{"BackupSelectionsList": list})
	case "backup:GetBackupSelection":
		plan, id, _ := strings.Cut(req.Target, "/")
		i, err := strconv.Atoi(id)
		if err != nil || i < 0 || i >= len(sels) || sels[i].Plan != plan {
			s.writeError(w, req, http.StatusNotFound, "ResourceNotFoundException", "selection not found", nil)
			return
		}
		reply(map[string]any{"BackupPlanId": plan, "SelectionId": id, "BackupSelection": map[string]any{
			"SelectionName": sels[i].Name, "IamRoleArn": sels[i].RoleARN, "Resources": sels[i].Resources}})
	default:
		s.t.Errorf("FaultServer: %s is not implemented", req.Op)
		s.writeError(w, req, http.StatusBadRequest, "UnknownOperationException", "", nil)
	}
}
