package wechat

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/eatmoreapple/openwechat"
)

// storedCookie is a cookie with the domain it belongs to. openwechat's own
// hot-reload store keeps only name and value (what a cookie jar hands out),
// so after one reload every cookie is host-only for wx.qq.com and the
// credentials stop reaching webpush.wx.qq.com. We keep what Set-Cookie said.
type storedCookie struct {
	Name     string    `json:"name"`
	Value    string    `json:"value"`
	Domain   string    `json:"domain"`    // without a leading dot
	HostOnly bool      `json:"host_only"` // no Domain attribute: only Domain itself
	Path     string    `json:"path"`
	Expires  time.Time `json:"expires,omitzero"` // zero: a session cookie, kept
	Secure   bool      `json:"secure,omitempty"`
	HttpOnly bool      `json:"http_only,omitempty"`
}

func (c storedCookie) key() string { return c.Domain + "|" + c.Path + "|" + c.Name }

// cookieStore is every cookie the servers have set, with domains.
type cookieStore struct {
	mu      sync.Mutex
	cookies map[string]storedCookie
}

func newCookieStore() *cookieStore { return &cookieStore{cookies: map[string]storedCookie{}} }

// record applies Set-Cookie answers to a request for u.
func (s *cookieStore) record(u *url.URL, cs []*http.Cookie, now time.Time) {
	host := strings.ToLower(u.Hostname())
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		sc := storedCookie{Name: c.Name, Value: c.Value, Path: c.Path, Secure: c.Secure, HttpOnly: c.HttpOnly, Domain: host, HostOnly: true}
		if d := strings.TrimPrefix(strings.ToLower(c.Domain), "."); d != "" {
			if host != d && !strings.HasSuffix(host, "."+d) {
				continue // a browser would refuse it too
			}
			sc.Domain, sc.HostOnly = d, false
		}
		if sc.Path == "" || sc.Path[0] != '/' {
			sc.Path = "/"
		}
		switch {
		case c.MaxAge < 0:
			delete(s.cookies, sc.key())
			continue
		case c.MaxAge > 0:
			sc.Expires = now.Add(time.Duration(c.MaxAge) * time.Second)
		case !c.Expires.IsZero():
			sc.Expires = c.Expires
		}
		if !sc.Expires.IsZero() && !sc.Expires.After(now) {
			delete(s.cookies, sc.key())
			continue
		}
		s.cookies[sc.key()] = sc
	}
}

func (s *cookieStore) list(now time.Time) []storedCookie {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]storedCookie, 0, len(s.cookies))
	for _, c := range s.cookies {
		if c.Expires.IsZero() || c.Expires.After(now) {
			out = append(out, c)
		}
	}
	return out
}

func (s *cookieStore) reset(cs []storedCookie) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cookies = map[string]storedCookie{}
	for _, c := range cs {
		s.cookies[c.key()] = c
	}
}

// jarOf builds an openwechat cookie jar holding cs with their domains.
func jarOf(cs []storedCookie, now time.Time) *openwechat.Jar {
	jar := openwechat.NewJar()
	for _, c := range cs {
		if !c.Expires.IsZero() && !c.Expires.After(now) {
			continue
		}
		hc := &http.Cookie{Name: c.Name, Value: c.Value, Path: c.Path, Expires: c.Expires, Secure: c.Secure, HttpOnly: c.HttpOnly}
		if !c.HostOnly {
			hc.Domain = c.Domain
		}
		jar.SetCookies(&url.URL{Scheme: "https", Host: c.Domain, Path: "/"}, []*http.Cookie{hc})
	}
	return jar
}

// cookieTransport records every Set-Cookie with its domain and applies it
// to the bot's jar itself, under a lock. The answer reaches the http.Client
// without Set-Cookie, so the client never writes the jar: openwechat's Jar
// keeps an unguarded map that the library's sync goroutine and our calls
// would otherwise write at the same time.
type cookieTransport struct {
	base  http.RoundTripper
	store *cookieStore
	mu    sync.Mutex
	jar   *openwechat.Jar
}

func (t *cookieTransport) setJar(j *openwechat.Jar) { t.mu.Lock(); t.jar = j; t.mu.Unlock() }

func (t *cookieTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	if cs := resp.Cookies(); len(cs) > 0 {
		resp.Header.Del("Set-Cookie")
		t.store.record(r.URL, cs, time.Now())
		t.mu.Lock()
		if t.jar != nil {
			t.jar.SetCookies(r.URL, cs)
		}
		t.mu.Unlock()
	}
	return resp, nil
}

// sessionFile is the hot-login state on disk (mode 0600: it holds the
// account's credentials).
type sessionFile struct {
	Version     int                     `json:"version"`
	SavedAt     time.Time               `json:"saved_at"`
	Domain      string                  `json:"domain"`
	UUID        string                  `json:"uuid,omitempty"`
	LoginInfo   *openwechat.LoginInfo   `json:"login_info"`
	BaseRequest *openwechat.BaseRequest `json:"base_request"`
	SyncKey     *openwechat.SyncKey     `json:"sync_key,omitempty"`
	Cookies     []storedCookie          `json:"cookies"`
}

func readSession(path string) (*sessionFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f sessionFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("read wechat session %s: %w", path, err)
	}
	if f.LoginInfo == nil || f.BaseRequest == nil || f.Domain == "" {
		return nil, fmt.Errorf("read wechat session %s: incomplete", path)
	}
	return &f, nil
}

// writeSession replaces the file atomically with mode 0600.
func writeSession(path string, f *sessionFile) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create session folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".wechat-session-*")
	if err != nil {
		return fmt.Errorf("write wechat session: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write wechat session: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write wechat session: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write wechat session: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write wechat session: %w", err)
	}
	return nil
}

// serializer is the bot's openwechat.Serializer: the library's hot-reload
// hooks (load before a hot or push login, save after login and after every
// webwxsync) come here, and we read and write our own session file with the
// cookies' domains instead of the library's lossy format. The reader and
// writer the library passes are ignored.
type serializer struct {
	p     *Platform
	tr    *cookieTransport
	fresh bool // a QR login: there is nothing to load
}

var errNoSession = errors.New("no saved wechat session")

func (s *serializer) Decode(_ io.Reader, v any) error {
	item, ok := v.(*openwechat.HotReloadStorageItem)
	if !ok {
		return fmt.Errorf("wechat session: cannot decode into %T", v)
	}
	if s.fresh {
		s.p.cookies.reset(nil)
		return fmt.Errorf("%w: %w", openwechat.ErrInvalidStorage, errNoSession)
	}
	f, err := readSession(s.p.o.SessionFile)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %w", openwechat.ErrInvalidStorage, errNoSession)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", openwechat.ErrInvalidStorage, err)
	}
	now := time.Now()
	s.p.cookies.reset(f.Cookies)
	jar := jarOf(f.Cookies, now)
	s.tr.setJar(jar)
	item.Jar = jar
	item.LoginInfo = f.LoginInfo
	item.BaseRequest = f.BaseRequest
	item.WechatDomain = openwechat.WechatDomain(f.Domain)
	item.SyncKey = f.SyncKey
	item.UUID = f.UUID
	return nil
}

func (s *serializer) Encode(_ io.Writer, v any) error {
	item, ok := v.(openwechat.HotReloadStorageItem)
	if !ok {
		return fmt.Errorf("wechat session: cannot encode %T", v)
	}
	if item.LoginInfo == nil || item.BaseRequest == nil {
		return errors.New("wechat session: not logged in")
	}
	f := &sessionFile{
		Version: 1, SavedAt: time.Now().UTC(), Domain: string(item.WechatDomain), UUID: item.UUID,
		LoginInfo: item.LoginInfo, BaseRequest: item.BaseRequest, SyncKey: item.SyncKey,
		Cookies: s.p.cookies.list(time.Now()),
	}
	s.p.fileMu.Lock()
	defer s.p.fileMu.Unlock()
	if s.p.closed {
		return nil
	}
	if err := writeSession(s.p.o.SessionFile, f); err != nil {
		s.p.log.Error("save wechat session", "err", err)
		return err
	}
	return nil
}

// nopStorage is the HotReloadStorage handed to the library; the serializer
// does the real reading and writing.
type nopStorage struct{}

func (nopStorage) Read([]byte) (int, error)    { return 0, io.EOF }
func (nopStorage) Write(p []byte) (int, error) { return len(p), nil }
