package standin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/mlpipeline-go/mlpipeline/internal/cfn"
)

// getObject reads an S3 object, returning its content as the string Body,
// as the aws-sdk:s3:getObject integration does.
func (s *service) getObject(_ context.Context, call Call) (any, error) {
	if err := s.needStore(); err != nil {
		return nil, err
	}
	var req struct{ Bucket, Key string }
	if err := decodeParams("S3", call.Parameters, &req); err != nil {
		return nil, err
	}
	if req.Bucket == "" || req.Key == "" {
		return nil, validation("S3", "Bucket and Key are required")
	}
	uri := "s3://" + req.Bucket + "/" + req.Key
	s.record(call, "", "s3:GetObject", "arn:"+cfn.Partition+":s3:::"+req.Bucket+"/"+req.Key, nil)
	body, err := s.cfg.Store.Get(uri)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &TaskError{Name: "S3.NoSuchKeyException", Cause: fmt.Sprintf("The specified key does not exist. (%s)", uri)}
	}
	if err != nil {
		if _, _, perr := ParseS3URI(uri); perr != nil {
			return nil, validation("S3", "%v", perr)
		}
		return nil, err
	}
	return map[string]any{
		"Body":          string(body),
		"ContentLength": float64(len(body)),
		"ContentType":   "application/octet-stream",
	}, nil
}

// Notification is one message the SNS publish stand-in accepted.
type Notification struct {
	// Execution is the name of the execution whose task published it.
	Execution string
	// State is the name of the Task state that published it.
	State string
	// TopicArn is the topic it was published to.
	TopicArn string
	// Subject is the message subject, possibly empty.
	Subject string
	// Message is the message text; a JSON Message is given as its text.
	Message string
}

// publish prints an SNS message as "notify: <Subject>: <Message>", hands it
// to Config.OnPublish, and returns a message id that counts the messages
// published through these handlers, so that runs are reproducible.
func (s *service) publish(_ context.Context, call Call) (any, error) {
	var req struct {
		TopicArn string
		Message  any
		Subject  string
	}
	if err := decodeParams("SNS", call.Parameters, &req); err != nil {
		return nil, err
	}
	if req.TopicArn == "" {
		return nil, validation("SNS", "TopicArn is required")
	}
	msg, ok := req.Message.(string)
	if !ok {
		if req.Message == nil {
			return nil, validation("SNS", "Message is required")
		}
		// Step Functions sends a JSON Message as its text.
		b, err := json.Marshal(req.Message)
		if err != nil {
			return nil, validation("SNS", "Message: %v", err)
		}
		msg = string(b)
	}
	s.record(call, "", "sns:Publish", req.TopicArn, nil)
	n := s.messages.Add(1)
	if s.cfg.Notify != nil {
		s.logMu.Lock()
		if req.Subject != "" {
			fmt.Fprintf(s.cfg.Notify, "notify: %s: %s\n", req.Subject, msg)
		} else {
			fmt.Fprintf(s.cfg.Notify, "notify: %s\n", msg)
		}
		s.logMu.Unlock()
	}
	if s.cfg.OnPublish != nil {
		s.cfg.OnPublish(Notification{Execution: call.ExecutionName, State: call.StateName, TopicArn: req.TopicArn, Subject: req.Subject, Message: msg})
	}
	return map[string]any{"MessageId": fmt.Sprintf("00000000-0000-0000-0000-%012d", n)}, nil
}
