package qq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// readLimit is the largest frame the adapter reads. coder/websocket's
// default of 32 KiB is too small: a 500-member get_group_member_list answer
// is about 70 KB. NapCat itself accepts 50 MB.
const readLimit = 16 << 20

// APIError is an action answered with status "failed" (or "async").
type APIError struct {
	Action  string
	Status  string
	Retcode int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("onebot %s: %s retcode %d: %s", e.Action, e.Status, e.Retcode, e.Message)
}

// errDropped is a call's answer when its connection closed after the action
// was written: the bridge may have carried it out.
var errDropped = errors.New("onebot: the bridge connection closed before the action was answered")

// errClosed is a call's answer when its connection was closed before the
// action could be written: the bridge never saw it.
var errClosed = errors.New("onebot: the bridge connection is closed")

// Role is what a reverse WebSocket connection carries (X-Client-Role).
type Role string

const (
	Universal Role = "Universal" // actions and events
	API       Role = "API"       // actions only
	Event     Role = "Event"     // events only
)

// conn is one reverse WebSocket connection from a bridge. Its read loop
// routes action results to their callers by echo and queues events, in
// order, for the platform's event loop.
type conn struct {
	ws     *websocket.Conn
	selfID int64
	role   Role
	seq    atomic.Int64 // echo counter
	// offline is set while heartbeats say the account is not online.
	offline atomic.Bool

	mu      sync.Mutex
	pending map[string]chan result // by the echo's JSON text
	closed  bool
	done    chan struct{} // closed when the read loop ended
	err     error         // why it ended
	watch   *time.Timer   // closes the connection when heartbeats stop
}

func (c *conn) isOffline() bool { return c.offline.Load() }

// beat records a heartbeat: without another within d, the connection is
// closed as dead.
func (c *conn) beat(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if c.watch == nil {
		c.watch = time.AfterFunc(d, func() { c.close(errNoHeartbeat) })
		return
	}
	c.watch.Reset(d)
}

type result struct {
	data json.RawMessage
	err  error
}

// frame is what the read loop looks at in every frame: the presence of
// post_type tells an event from an action result (NoneBot's rule).
type frame struct {
	PostType *string `json:"post_type"`
	// Status is a result's "ok"/"failed", but a heartbeat's object.
	Status  json.RawMessage `json:"status"`
	Retcode int             `json:"retcode"`
	Data    json.RawMessage `json:"data"`
	// Message is an event's message (an array or a string) or a result's
	// error text: decoded only for results.
	Message json.RawMessage `json:"message"`
	Wording json.RawMessage `json:"wording"`
	Echo    json.RawMessage `json:"echo"`
}

// text is a result's error text, from message or wording.
func (f frame) text() string {
	for _, raw := range []json.RawMessage{f.Message, f.Wording} {
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			return s
		}
	}
	return ""
}

func newConn(ws *websocket.Conn, selfID int64, role Role) *conn {
	ws.SetReadLimit(readLimit)
	return &conn{ws: ws, selfID: selfID, role: role, pending: map[string]chan result{}, done: make(chan struct{})}
}

// echoKey normalises an echo's JSON for matching: bridges echo any JSON
// value back, possibly re-encoded with other spacing.
func echoKey(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

// readLoop reads frames until the connection ends, handing events to
// onEvent in order and results to their callers.
func (c *conn) readLoop(ctx context.Context, onEvent func(raw []byte)) {
	var err error
	defer func() { c.close(err) }()
	for {
		var b []byte
		_, b, err = c.ws.Read(ctx)
		if err != nil {
			return
		}
		var f frame
		if jerr := json.Unmarshal(b, &f); jerr != nil {
			continue // not JSON: nothing to route
		}
		if f.PostType != nil {
			onEvent(b)
			continue
		}
		if len(f.Echo) == 0 || string(f.Echo) == "null" {
			continue
		}
		key := echoKey(f.Echo)
		c.mu.Lock()
		ch := c.pending[key]
		delete(c.pending, key) // a stream action's later frames find no waiter
		c.mu.Unlock()
		if ch == nil {
			continue
		}
		r := result{data: f.Data}
		var status string
		_ = json.Unmarshal(f.Status, &status)
		if status != "ok" || f.Retcode != 0 {
			r.err = &APIError{Status: status, Retcode: f.Retcode, Message: f.text()}
		}
		ch <- r
	}
}

// close ends the connection and fails every pending call with errDropped.
func (c *conn) close(err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.err = err
	pending := c.pending
	c.pending = nil
	if c.watch != nil {
		c.watch.Stop()
	}
	c.mu.Unlock()
	for _, ch := range pending {
		ch <- result{err: errDropped}
	}
	c.ws.CloseNow()
	close(c.done)
}

// call sends an action and waits for its result. It returns errClosed when
// the action was never written, errDropped when the connection closed after
// it was, an *APIError when the bridge refused it, and ctx's error when ctx
// ends first (the action may then have been carried out).
func (c *conn) call(ctx context.Context, action string, params any, out any) error {
	echo := "bb-" + strconv.FormatInt(c.seq.Add(1), 10)
	rawEcho, _ := json.Marshal(echo)
	req, err := json.Marshal(struct {
		Action string          `json:"action"`
		Params any             `json:"params"`
		Echo   json.RawMessage `json:"echo"`
	}{action, params, rawEcho})
	if err != nil {
		return fmt.Errorf("encode %s: %w", action, err)
	}
	ch := make(chan result, 1)
	key := echoKey(rawEcho)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errClosed
	}
	c.pending[key] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		if c.pending != nil {
			delete(c.pending, key)
		}
		c.mu.Unlock()
	}
	if err := c.ws.Write(ctx, websocket.MessageText, req); err != nil {
		forget()
		select {
		case <-c.done:
			return errClosed
		default:
		}
		// A failed write may have sent part of the frame; the connection
		// is unusable either way.
		c.close(err)
		return errClosed
	}
	select {
	case r := <-ch:
		if r.err != nil {
			var ae *APIError
			if errors.As(r.err, &ae) {
				ae.Action = action
			}
			return r.err
		}
		if out != nil && len(r.data) > 0 && string(r.data) != "null" {
			if err := json.Unmarshal(r.data, out); err != nil {
				return fmt.Errorf("decode %s result: %w", action, err)
			}
		}
		return nil
	case <-ctx.Done():
		forget()
		return ctx.Err()
	}
}
