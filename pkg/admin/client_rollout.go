package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Rollout asks the gateway to roll service over to req.Backends and follows
// the stream: progress (which may be nil) is called for every event, in order,
// including the last; the result is the last event's Result, or its Error
// (which unwraps to its sentinel, e.g. ErrBusy or ErrNotReady).
//
// Cancelling ctx closes the stream, which the gateway takes as the caller
// going away: before the switch it removes the new backends; after it, it
// finishes the drain on its own. A stream that ends without a last event
// returns an error wrapping ErrUnavailable: the rollout may still be running.
func (c *Client) Rollout(ctx context.Context, service string, req RolloutRequest, progress func(RolloutEvent)) (RolloutResult, error) {
	p, err := servicePath(service, "rolling out")
	if err != nil {
		return RolloutResult{}, err
	}
	p += "/rollout"
	resp, err := c.send(ctx, http.MethodPost, p, req, NDJSONContentType+", application/json", true)
	if err != nil {
		return RolloutResult{}, err
	}
	defer closeBody(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return RolloutResult{}, c.answerError(http.MethodPost, p, resp)
	}
	// json.Decoder returns each value as soon as its closing brace arrives,
	// so events reach progress as the gateway flushes them.
	dec := json.NewDecoder(resp.Body)
	var last *RolloutEvent
	for {
		var ev RolloutEvent
		err := dec.Decode(&ev)
		if err != nil {
			return c.streamEnd(ctx, service, last, err)
		}
		if progress != nil {
			progress(ev)
		}
		last = &ev
	}
}

// streamEnd decides what a finished stream means: the last event's Result or
// Error when it carries one, else the caller's cancellation, else a gateway
// that went away mid-rollout.
func (c *Client) streamEnd(ctx context.Context, service string, last *RolloutEvent, readErr error) (RolloutResult, error) {
	if last != nil && (last.Error != nil || last.Result != nil) {
		var res RolloutResult
		if last.Result != nil {
			res = *last.Result
		}
		if last.Error != nil {
			return res, last.Error
		}
		return res, nil
	}
	if cause := context.Cause(ctx); cause != nil {
		return RolloutResult{}, fmt.Errorf("rolling out %s: %w", service, cause)
	}
	step := "none"
	if last != nil {
		step = last.Step
	}
	why := readErr
	if errors.Is(readErr, io.EOF) {
		why = errors.New("the stream ended without a result")
	}
	return RolloutResult{}, withSentinel(ErrUnavailable,
		"rolling out %s: the gateway closed the rollout stream before it finished: %w (last step: %s); the rollout may still be running, check roll status",
		service, why, step)
}
