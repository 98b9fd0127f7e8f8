// Package wechattest is a fake web-WeChat server for tests. It answers the
// requests the real github.com/eatmoreapple/openwechat client makes, so tests
// run the library itself: Transport returns an http.RoundTripper that rewrites
// only the scheme and host of each request to an httptest server, while the
// client and its cookie jar keep seeing the real host names (login.wx.qq.com,
// wx.qq.com, webpush.wx.qq.com). The server routes by the original Host and
// the path.
//
// It covers: jslogin, login polling (408 held, 201 scanned, 200 with a
// redirect), webwxnewloginpage (XML credentials and cookies with their
// domains), webwxinit, webwxstatusnotify, synccheck (selector-0 answers held,
// retcode 1101 on demand), webwxsync with queued messages, webwxgetcontact,
// webwxbatchgetcontact, webwxsendmsg (recorded; Ret 1205 on demand, or any
// answer and delay from an OnSend hook), files (webwxuploadmedia on
// file.wx.qq.com in 512 KiB chunks, checked against webwx_data_ticket,
// pass_ticket and the MD5, then webwxsendappmsg with the file's appmsg XML,
// recorded and answered like webwxsendmsg), pictures members send (MsgType 3
// through webwxsync, the bytes from webwxgetmsgimg by MsgID, checked
// against the session's cookie and skey) and push login
// (webwxpushloginurl). Every login gives every contact a new UserName,
// as the real server does.
package wechattest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Member is a person in a group.
type Member struct {
	NickName    string
	DisplayName string // 群昵称, may be empty
}

// Name is how the member shows in the group.
func (m Member) Name() string {
	if m.DisplayName != "" {
		return m.DisplayName
	}
	return m.NickName
}

// Group is a group chat the account is in.
type Group struct {
	Name    string
	Members []Member
	// Saved groups are in the account's contacts (保存到通讯录) and listed by
	// webwxgetcontact; others are only found when they speak.
	Saved bool
}

// Sent is one message the client sent through webwxsendmsg, or a file
// through webwxsendappmsg.
type Sent struct {
	ToUserName string
	Group      string // the group's name, "" if not a group
	Friend     string // the friend's nickname, "" if not a friend
	Content    string // the text; for a file, its appmsg XML
	ClientID   string
	Ret        int // what the server answered
	At         time.Time
	// File is the file of a webwxsendappmsg, as uploaded; nil for a text.
	File *File
}

// File is an uploaded file.
type File struct {
	Name string
	Data []byte
}

// upload is a file being uploaded in chunks, or uploaded (media set).
type upload struct {
	name  string
	md5   string
	total int64
	data  []byte
	media string
}

// Options tune the fake server.
type Options struct {
	// Hold is how long login polls (408) and idle synccheck polls are held
	// before answering; default 150ms. The real server holds about 25s.
	Hold time.Duration
	// AutoConfirm makes every QR code scanned and confirmed as soon as the
	// client polls it (a patient admin).
	AutoConfirm bool
	// PushLogin lets webwxpushloginurl succeed; push logins are confirmed
	// automatically unless RejectPush is set.
	PushLogin  bool
	RejectPush bool
}

type session struct {
	sid, skey, passTicket string
	valid                 bool
	names                 map[string]string // UserName -> group name
	byGroup               map[string]string // group name -> UserName
	members               map[string]map[string]Member
	friends               map[string]string // UserName -> nickname
	syncKey               int64
	queue                 []map[string]any
	// handed are the messages the last webwxsync handed over: the client
	// has them but has not come back for more (its next synccheck), so a
	// client that died now never had them handled. Web WeChat does not
	// deliver them again.
	handed  int
	endWith string // synccheck retcode to end with
}

type loginState struct {
	scanned, confirmed bool
	push               bool
	reported201        bool
}

// Server is the fake web-WeChat.
type Server struct {
	srv  *httptest.Server
	opts Options

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every state change
	uin       int64
	selfName  string
	groups    []*Group
	friends   []string
	logins    map[string]*loginState
	lastUUID  string
	uuids     []string
	sessions  map[string]*session
	current   *session
	nextID    int
	sendRets  []int
	sendHooks []func(Sent) int
	sent      []Sent
	hits      map[string]int
	cookieOK  map[string]int
	cookieNo  map[string]int
	pushes    int
	logins2   int
	deviceIDs map[string]bool
	outage    atomic.Bool
	uploads   map[string]*upload // by ClientMediaId while uploading, by MediaId once done
	pictures  map[string][]byte  // picture messages' bytes by MsgId
}

// New starts a fake server; Close it when done.
func New(o Options) *Server {
	if o.Hold <= 0 {
		o.Hold = 150 * time.Millisecond
	}
	s := &Server{
		opts: o, changed: make(chan struct{}), uin: 3052217749, selfName: "支部助手",
		logins: map[string]*loginState{}, sessions: map[string]*session{},
		hits: map[string]int{}, cookieOK: map[string]int{}, cookieNo: map[string]int{}, deviceIDs: map[string]bool{},
		uploads: map[string]*upload{}, pictures: map[string][]byte{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	s.broadcast()
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// URL is the httptest server's address.
func (s *Server) URL() string { return s.srv.URL }

// Transport sends every request to the fake server, keeping the request's
// original Host header (and so its routing) intact.
func (s *Server) Transport() http.RoundTripper {
	target, _ := url.Parse(s.srv.URL)
	base := s.srv.Client().Transport
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		if s.outage.Load() {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: network is unreachable")}
		}
		c := r.Clone(r.Context())
		c.URL.Scheme, c.URL.Host = target.Scheme, target.Host
		if c.Host == "" {
			c.Host = r.URL.Host
		}
		c.Header.Set("X-Wechattest-Host", r.URL.Host)
		return base.RoundTrip(c)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Outage makes every request fail as in a network outage (on) or work
// again (off): the client sees the error a dial gives, with the request's
// URL around it.
func (s *Server) Outage(on bool) { s.outage.Store(on) }

// Credentials lists every credential the server handed out or saw: session
// ids, keys, pass tickets, the account's uin and the clients' device ids.
// None of them may appear in a log or a stored error.
func (s *Server) Credentials() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{strconv.FormatInt(s.uin, 10)}
	for _, ss := range s.sessions {
		out = append(out, ss.sid, ss.skey, url.QueryEscape(ss.skey), ss.passTicket, "dt"+ss.sid)
	}
	for d := range s.deviceIDs {
		out = append(out, d)
	}
	return out
}

// broadcast wakes held requests; s.mu must be held.
func (s *Server) broadcast() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// wait blocks until the state changes, d passes, or the request ends.
func (s *Server) wait(ctx context.Context, ch chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	case <-ctx.Done():
	}
}

// AddGroup adds a group to the account.
func (s *Server) AddGroup(g Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gg := g
	s.groups = append(s.groups, &gg)
	if s.current != nil {
		s.current.assign(&gg, s)
	}
}

// AddFriend adds a friend (a contact) by nickname; it takes effect at the
// next login.
func (s *Server) AddFriend(nick string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.friends = append(s.friends, nick)
}

// SayPrivate delivers a private text message from a friend.
func (s *Server) SayPrivate(friend, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.current
	if ss == nil || !ss.valid {
		return fmt.Errorf("wechattest: no session")
	}
	for u, f := range ss.friends {
		if f == friend {
			s.nextID++
			ss.queue = append(ss.queue, map[string]any{
				"MsgId": strconv.Itoa(1000 + s.nextID), "NewMsgId": 1000 + s.nextID, "FromUserName": u, "ToUserName": s.selfUserName(ss),
				"MsgType": 1, "Content": encodeText(text), "CreateTime": time.Now().Unix(), "Status": 3,
			})
			s.broadcast()
			return nil
		}
	}
	return fmt.Errorf("wechattest: no friend %q", friend)
}

// RenameGroup renames a group, as a member changing 群聊名称 would.
func (s *Server) RenameGroup(old, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.groups {
		if g.Name == old {
			g.Name = name
		}
	}
	for _, ss := range s.sessions {
		if u, ok := ss.byGroup[old]; ok {
			delete(ss.byGroup, old)
			ss.byGroup[name] = u
			ss.names[u] = name
		}
	}
}

func (s *Server) group(name string) *Group {
	for _, g := range s.groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

func (ss *session) assign(g *Group, s *Server) {
	s.nextID++
	u := fmt.Sprintf("@@g%d%s", s.nextID, ss.sid)
	ss.names[u] = g.Name
	ss.byGroup[g.Name] = u
	ms := map[string]Member{}
	for _, m := range g.Members {
		s.nextID++
		ms[fmt.Sprintf("@m%d%s", s.nextID, ss.sid)] = m
	}
	ss.members[u] = ms
}

// QR waits until the client has fetched a login QR code (jslogin) that has
// not been confirmed yet and returns its uuid.
func (s *Server) QR(ctx context.Context) (string, error) {
	for {
		s.mu.Lock()
		for _, u := range s.uuids {
			if st := s.logins[u]; st != nil && !st.push && !st.confirmed {
				s.mu.Unlock()
				return u, nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// Scan scans and confirms the QR code uuid on the phone.
func (s *Server) Scan(uuid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.logins[uuid]; st != nil {
		st.scanned, st.confirmed = true, true
	}
	s.broadcast()
}

// Logout ends the current session: the next synccheck answers retcode (e.g.
// "1101") and the session's credentials stop working.
func (s *Server) Logout(retcode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil {
		s.current.endWith = retcode
		s.current.valid = false
	}
	s.broadcast()
}

// Say delivers a text message from member (by group name) in group.
func (s *Server) Say(group, member, text string) error {
	_, err := s.sayInGroup(group, member, 1, encodeText(text), nil)
	return err
}

// SayPicture delivers a picture (MsgType 3) from member in group, as a
// phone sends one: a message of its own, its Content the picture's XML
// (which the client does not read), the picture itself fetched by MsgID
// from webwxgetmsgimg. It returns the MsgId.
func (s *Server) SayPicture(group, member string, data []byte) (string, error) {
	return s.sayInGroup(group, member, 3, encodeText(pictureXML(len(data))), data)
}

// pictureXML is the Content of a picture message: a description of the
// picture on WeChat's CDN.
func pictureXML(n int) string {
	return fmt.Sprintf(`<?xml version="1.0"?>
<msg>
	<img aeskey="0123456789abcdef0123456789abcdef" encryver="1" cdnthumbaeskey="0123456789abcdef0123456789abcdef" cdnthumburl="3057020100044b3049" cdnthumblength="2048" cdnthumbheight="120" cdnthumbwidth="90" cdnmidheight="0" cdnmidwidth="0" cdnhdheight="0" cdnhdwidth="0" cdnmidimgurl="3057020100044b3049" length="%d" md5="d41d8cd98f00b204e9800998ecf8427e" />
</msg>`, n)
}

// sayInGroup queues a message of msgType with content from member in
// group; data, if not nil, is the picture webwxgetmsgimg serves for it.
func (s *Server) sayInGroup(group, member string, msgType int, content string, data []byte) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.current
	if ss == nil || !ss.valid {
		return "", fmt.Errorf("wechattest: no session")
	}
	gu, ok := ss.byGroup[group]
	if !ok {
		return "", fmt.Errorf("wechattest: no group %q", group)
	}
	mu := ""
	for u, m := range ss.members[gu] {
		if m.Name() == member {
			mu = u
		}
	}
	if mu == "" {
		return "", fmt.Errorf("wechattest: no member %q in %q", member, group)
	}
	s.nextID++
	id := strconv.Itoa(1000 + s.nextID)
	if data != nil {
		s.pictures[id] = data
	}
	ss.queue = append(ss.queue, map[string]any{
		"MsgId": id, "NewMsgId": 1000 + s.nextID, "FromUserName": gu, "ToUserName": s.selfUserName(ss),
		"MsgType": msgType, "Content": mu + ":<br/>" + content, "CreateTime": time.Now().Unix(), "StatusNotifyUserName": "", "Status": 3,
	})
	s.broadcast()
	return id, nil
}

// msgImg serves webwxgetmsgimg: the picture of message MsgID, to a client
// with the session's cookie and skey.
func (s *Server) msgImg(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	c, err := r.Cookie("wxsid")
	var ss *session
	if err == nil {
		ss = s.auth(r, c.Value)
	}
	data, ok := s.pictures[q.Get("MsgID")]
	s.mu.Unlock()
	switch {
	case ss == nil || q.Get("skey") != ss.skey:
		http.Error(w, "wechattest: not logged in", http.StatusUnauthorized)
	case !ok:
		http.Error(w, "wechattest: no picture "+q.Get("MsgID"), http.StatusNotFound)
	default:
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(data)
	}
}

func (s *Server) selfUserName(ss *session) string { return "@self" + ss.sid }

// encodeText is a text message's Content as web WeChat delivers it: HTML
// escaped, with line breaks as <br/> (which stays unescaped).
func encodeText(text string) string {
	return strings.ReplaceAll(html.EscapeString(text), "\n", "<br/>")
}

// FailSends makes the next sends answer with these Ret codes in turn (e.g.
// 1205 for "too often").
func (s *Server) FailSends(rets ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendRets = append(s.sendRets, rets...)
}

// Unconfirmed counts the messages of the current session that the client
// has not yet taken and come back after: queued, or handed over by the last
// webwxsync before the client's next synccheck.
func (s *Server) Unconfirmed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil {
		return 0
	}
	return len(s.current.queue) + s.current.handed
}

// Sent lists every webwxsendmsg request, including refused ones.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Delivered lists the sends the server accepted (Ret 0).
func (s *Server) Delivered() []Sent {
	var out []Sent
	for _, m := range s.Sent() {
		if m.Ret == 0 {
			out = append(out, m)
		}
	}
	return out
}

// Hits counts requests per path (the last path element, e.g. "webwxinit").
func (s *Server) Hits(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[name]
}

// CookieMisses counts authenticated requests to host (e.g.
// "webpush.wx.qq.com") that lacked the session cookies.
func (s *Server) CookieMisses(host string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cookieNo[host]
}

// CookieHits counts authenticated requests to host that carried the session
// cookies.
func (s *Server) CookieHits(host string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cookieOK[host]
}

// Logins counts completed logins (scan, push or hot: each webwxinit that
// succeeded).
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins2
}

// Pushes counts push-login requests.
func (s *Server) Pushes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushes
}

// Online reports whether a session is live.
func (s *Server) Online() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current != nil && s.current.valid
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	host := r.Header.Get("X-Wechattest-Host")
	if host == "" {
		host = r.Host
	}
	name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	s.mu.Lock()
	s.hits[name]++
	if d := r.URL.Query().Get("deviceid"); d != "" {
		s.deviceIDs[d] = true
	}
	s.mu.Unlock()
	switch {
	case host == "login.wx.qq.com" && name == "jslogin":
		s.jslogin(w, r)
	case host == "login.wx.qq.com" && name == "login":
		s.login(w, r)
	case host == "wx.qq.com" && name == "webwxnewloginpage":
		s.newLoginPage(w, r)
	case host == "wx.qq.com" && name == "webwxinit":
		s.webInit(w, r)
	case host == "wx.qq.com" && name == "webwxstatusnotify":
		writeJSON(w, map[string]any{"BaseResponse": base(0), "MsgID": ""})
	case host == "webpush.wx.qq.com" && name == "synccheck":
		s.syncCheck(w, r)
	case host == "wx.qq.com" && name == "webwxsync":
		s.webSync(w, r)
	case host == "wx.qq.com" && name == "webwxgetcontact":
		s.getContact(w, r)
	case host == "wx.qq.com" && name == "webwxbatchgetcontact":
		s.batchContact(w, r)
	case host == "wx.qq.com" && name == "webwxsendmsg":
		s.sendMsg(w, r)
	case host == "file.wx.qq.com" && name == "webwxuploadmedia":
		s.uploadMedia(w, r)
	case host == "wx.qq.com" && name == "webwxsendappmsg":
		s.sendAppMsg(w, r)
	case host == "wx.qq.com" && name == "webwxgetmsgimg":
		s.msgImg(w, r)
	case host == "wx.qq.com" && name == "webwxpushloginurl":
		s.pushLogin(w, r)
	default:
		http.Error(w, "wechattest: unexpected "+host+r.URL.Path, http.StatusNotFound)
	}
}

func base(ret int) map[string]any { return map[string]any{"Ret": ret, "ErrMsg": ""} }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "text/plain")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) jslogin(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.nextID++
	u := fmt.Sprintf("qr%04d==", s.nextID)
	s.logins[u] = &loginState{}
	s.uuids = append(s.uuids, u)
	s.lastUUID = u
	s.broadcast()
	s.mu.Unlock()
	fmt.Fprintf(w, `window.QRLogin.code = 200; window.QRLogin.uuid = "%s";`, u)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	u := r.URL.Query().Get("uuid")
	deadline := time.Now().Add(s.opts.Hold)
	for {
		s.mu.Lock()
		st := s.logins[u]
		if st == nil {
			s.mu.Unlock()
			fmt.Fprint(w, `window.code=400;`)
			return
		}
		if s.opts.AutoConfirm || (st.push && !s.opts.RejectPush) {
			st.scanned, st.confirmed = true, true
		}
		switch {
		case st.scanned && !st.reported201 && !st.push:
			st.reported201 = true
			s.mu.Unlock()
			fmt.Fprint(w, `window.code=201;window.userAvatar = 'data:img/jpg;base64,';`)
			return
		case st.confirmed:
			delete(s.logins, u)
			s.nextID++
			ticket := fmt.Sprintf("T%d", s.nextID)
			s.mu.Unlock()
			fmt.Fprintf(w, "window.code=200;\nwindow.redirect_uri=\"https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=%s&uuid=%s&lang=zh_CN&scan=1\";", ticket, u)
			return
		}
		ch := s.changed
		s.mu.Unlock()
		if time.Now().After(deadline) {
			fmt.Fprint(w, `window.code=408;`)
			return
		}
		s.wait(r.Context(), ch, time.Until(deadline))
		if r.Context().Err() != nil {
			return
		}
	}
}

func (s *Server) newLoginPage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("ticket") == "" {
		fmt.Fprint(w, `<error><ret>1</ret><message>no ticket</message></error>`)
		return
	}
	s.mu.Lock()
	s.nextID++
	ss := &session{
		// Distinctive values, so that a test can look for them in logs.
		sid: fmt.Sprintf("SIDqv%d", s.nextID), skey: fmt.Sprintf("@crypt_SKEYzx%d", s.nextID), passTicket: fmt.Sprintf("PTICKETwj%d", s.nextID),
		valid: true, names: map[string]string{}, byGroup: map[string]string{}, members: map[string]map[string]Member{},
		friends: map[string]string{},
	}
	for _, g := range s.groups {
		ss.assign(g, s)
	}
	for _, f := range s.friends {
		s.nextID++
		ss.friends[fmt.Sprintf("@f%d%s", s.nextID, ss.sid)] = f
	}
	s.sessions[ss.sid] = ss
	s.mu.Unlock()
	// Credentials are domain cookies for qq.com, so they also go to
	// webpush.wx.qq.com; wxloadtime is host-only.
	for _, c := range []*http.Cookie{
		{Name: "wxsid", Value: ss.sid, Domain: ".qq.com", Path: "/", Secure: true},
		{Name: "wxuin", Value: strconv.FormatInt(s.uin, 10), Domain: ".qq.com", Path: "/", Secure: true},
		{Name: "webwx_data_ticket", Value: "dt" + ss.sid, Domain: ".qq.com", Path: "/", Secure: true},
		{Name: "wxloadtime", Value: "1", Path: "/"},
	} {
		http.SetCookie(w, c)
	}
	fmt.Fprintf(w, `<error><ret>0</ret><message></message><skey>%s</skey><wxsid>%s</wxsid><wxuin>%d</wxuin><pass_ticket>%s</pass_ticket><isgrayscale>1</isgrayscale></error>`,
		ss.skey, ss.sid, s.uin, ss.passTicket)
}

// auth finds the live session a request belongs to, checking that the
// cookies came along; s.mu must be held.
func (s *Server) auth(r *http.Request, sid string) *session {
	host := r.Header.Get("X-Wechattest-Host")
	c, err := r.Cookie("wxsid")
	if err != nil || c.Value != sid {
		s.cookieNo[host]++
		return nil
	}
	s.cookieOK[host]++
	ss := s.sessions[sid]
	if ss == nil || !ss.valid {
		return nil
	}
	return ss
}

type baseRequest struct {
	BaseRequest struct {
		Uin      int64
		Sid      string
		Skey     string
		DeviceID string
	}
}

func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (s *Server) syncKey(ss *session) map[string]any {
	return map[string]any{"Count": 2, "List": []map[string]any{{"Key": 1, "Val": ss.syncKey}, {"Key": 2, "Val": ss.syncKey}}}
}

func (s *Server) webInit(w http.ResponseWriter, r *http.Request) {
	var req baseRequest
	if err := decode(r, &req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	s.mu.Lock()
	if req.BaseRequest.DeviceID != "" {
		s.deviceIDs[req.BaseRequest.DeviceID] = true
	}
	defer s.mu.Unlock()
	ss := s.auth(r, req.BaseRequest.Sid)
	if ss == nil {
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	if s.current != nil && s.current != ss {
		s.current.valid = false // one web session per account
	}
	s.current = ss
	s.logins2++
	s.broadcast()
	writeJSON(w, map[string]any{
		"BaseResponse": base(0), "Count": 0, "SKey": ss.skey,
		"User":        map[string]any{"UserName": s.selfUserName(ss), "NickName": s.selfName, "Uin": s.uin},
		"SyncKey":     s.syncKey(ss),
		"ContactList": []any{},
	})
}

func (s *Server) syncCheck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	deadline := time.Now().Add(s.opts.Hold)
	s.mu.Lock()
	if ss := s.sessions[q.Get("sid")]; ss != nil && ss.handed > 0 {
		ss.handed = 0 // the client is back for more: it is done with them
		s.broadcast()
	}
	s.mu.Unlock()
	for {
		s.mu.Lock()
		ss := s.sessions[q.Get("sid")]
		if ss != nil && ss.endWith != "" {
			rc := ss.endWith
			s.mu.Unlock()
			fmt.Fprintf(w, `window.synccheck={retcode:"%s",selector:"0"}`, rc)
			return
		}
		if s.auth(r, q.Get("sid")) == nil {
			s.mu.Unlock()
			fmt.Fprint(w, `window.synccheck={retcode:"1101",selector:"0"}`)
			return
		}
		if len(ss.queue) > 0 {
			s.mu.Unlock()
			fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"2"}`)
			return
		}
		ch := s.changed
		s.mu.Unlock()
		if time.Now().After(deadline) {
			fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"0"}`)
			return
		}
		s.wait(r.Context(), ch, time.Until(deadline))
		if r.Context().Err() != nil {
			return
		}
	}
}

func (s *Server) webSync(w http.ResponseWriter, r *http.Request) {
	var req baseRequest
	if err := decode(r, &req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	s.mu.Lock()
	if req.BaseRequest.DeviceID != "" {
		s.deviceIDs[req.BaseRequest.DeviceID] = true
	}
	defer s.mu.Unlock()
	ss := s.auth(r, req.BaseRequest.Sid)
	if ss == nil {
		writeJSON(w, map[string]any{"BaseResponse": base(1101), "SyncKey": map[string]any{"Count": 0, "List": []any{}}})
		return
	}
	msgs := ss.queue
	ss.queue = nil
	ss.handed += len(msgs)
	ss.syncKey++
	if msgs == nil {
		msgs = []map[string]any{}
	}
	writeJSON(w, map[string]any{"BaseResponse": base(0), "AddMsgCount": len(msgs), "AddMsgList": msgs, "SyncKey": s.syncKey(ss), "SyncCheckKey": s.syncKey(ss)})
}

func (s *Server) groupUser(ss *session, u string) map[string]any {
	name := ss.names[u]
	var list []map[string]any
	list = append(list, map[string]any{"UserName": s.selfUserName(ss), "NickName": s.selfName, "DisplayName": ""})
	for mu, m := range ss.members[u] {
		list = append(list, map[string]any{"UserName": mu, "NickName": m.NickName, "DisplayName": m.DisplayName})
	}
	return map[string]any{"UserName": u, "NickName": name, "MemberCount": len(list), "MemberList": list, "ContactFlag": 3}
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.current
	if ss == nil || r.URL.Query().Get("skey") != ss.skey || s.auth(r, ss.sid) == nil {
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	var list []map[string]any
	for _, g := range s.groups {
		if g.Saved {
			gu := s.groupUser(ss, ss.byGroup[g.Name])
			gu["MemberList"] = []any{} // the contact list has no members
			list = append(list, gu)
		}
	}
	for u, f := range ss.friends {
		list = append(list, map[string]any{"UserName": u, "NickName": f, "VerifyFlag": 0})
	}
	if list == nil {
		list = []map[string]any{}
	}
	writeJSON(w, map[string]any{"BaseResponse": base(0), "MemberCount": len(list), "MemberList": list, "Seq": 0})
}

func (s *Server) batchContact(w http.ResponseWriter, r *http.Request) {
	var req struct {
		baseRequest
		List []struct{ UserName, EncryChatRoomId string }
	}
	if err := decode(r, &req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.auth(r, req.BaseRequest.Sid)
	if ss == nil {
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	out := []map[string]any{}
	for _, it := range req.List {
		if _, ok := ss.names[it.UserName]; ok {
			out = append(out, s.groupUser(ss, it.UserName))
			continue
		}
		u := map[string]any{"UserName": it.UserName}
		for _, ms := range ss.members {
			if m, ok := ms[it.UserName]; ok {
				u["NickName"] = m.NickName
			}
		}
		out = append(out, u)
	}
	writeJSON(w, map[string]any{"BaseResponse": base(0), "Count": len(out), "ContactList": out})
}

// sendRequest is the body of webwxsendmsg and webwxsendappmsg.
type sendRequest struct {
	baseRequest
	Msg struct {
		Type                                           int
		Content, FromUserName, ToUserName, ClientMsgId string
	}
}

// readSend decodes a send, answering 400 (and false) to a body that is not
// one.
func readSend(w http.ResponseWriter, r *http.Request) (sendRequest, bool) {
	var req sendRequest
	if err := decode(r, &req); err != nil {
		http.Error(w, err.Error(), 400)
		return req, false
	}
	return req, true
}

// sent is what the server records of a send in ss.
func (ss *session) sent(req sendRequest) Sent {
	return Sent{ToUserName: req.Msg.ToUserName, Group: ss.names[req.Msg.ToUserName], Friend: ss.friends[req.Msg.ToUserName], Content: req.Msg.Content, ClientID: req.Msg.ClientMsgId}
}

func (s *Server) sendMsg(w http.ResponseWriter, r *http.Request) {
	req, ok := readSend(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	ss := s.auth(r, req.BaseRequest.Sid)
	if ss == nil {
		s.mu.Unlock()
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	msg := ss.sent(req)
	s.mu.Unlock()
	s.deliver(w, msg)
}

// deliver records a send (s.mu not held), asking the OnSend hooks and
// FailSends what to answer, and answers it.
func (s *Server) deliver(w http.ResponseWriter, msg Sent) {
	s.mu.Lock()
	hooks := s.sendHooks
	s.mu.Unlock()
	ret := 0
	for _, h := range hooks {
		if ret = h(msg); ret != 0 {
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ret == 0 && len(s.sendRets) > 0 {
		ret, s.sendRets = s.sendRets[0], s.sendRets[1:]
	}
	s.nextID++
	msg.Ret, msg.At = ret, time.Now()
	s.sent = append(s.sent, msg)
	s.broadcast()
	if ret == BadGateway {
		http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
		return
	}
	writeJSON(w, map[string]any{"BaseResponse": base(ret), "MsgID": strconv.Itoa(5000 + s.nextID), "LocalID": msg.ClientID})
}

// uploadMedia takes one chunk of a file (multipart: uploadmediarequest
// JSON, name, chunks/chunk, webwx_data_ticket, pass_ticket and the bytes as
// "filename"). The last chunk's answer carries the MediaId.
func (s *Server) uploadMedia(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	var req struct {
		baseRequest
		ClientMediaId       int64
		TotalLen            int64
		FromUserName        string
		ToUserName, FileMd5 string
	}
	if err := json.Unmarshal([]byte(r.FormValue("uploadmediarequest")), &req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	fhs := r.MultipartForm.File["filename"]
	if len(fhs) == 0 {
		writeJSON(w, map[string]any{"BaseResponse": base(1), "MediaId": ""})
		return
	}
	f, err := fhs[0].Open()
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	chunk, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.auth(r, req.BaseRequest.Sid)
	if ss == nil || r.FormValue("pass_ticket") != ss.passTicket || r.FormValue("webwx_data_ticket") != "dt"+ss.sid {
		writeJSON(w, map[string]any{"BaseResponse": base(1101), "MediaId": ""})
		return
	}
	key := strconv.FormatInt(req.ClientMediaId, 10)
	up := s.uploads[key]
	if up == nil {
		up = &upload{name: r.FormValue("name"), md5: req.FileMd5, total: req.TotalLen}
		s.uploads[key] = up
	}
	up.data = append(up.data, chunk...)
	chunks, _ := strconv.Atoi(r.FormValue("chunks"))
	n, _ := strconv.Atoi(r.FormValue("chunk"))
	if chunks > 1 && n+1 < chunks {
		writeJSON(w, map[string]any{"BaseResponse": base(0), "MediaId": "", "StartPos": len(up.data)})
		return
	}
	delete(s.uploads, key)
	sum := md5.Sum(up.data)
	if int64(len(up.data)) != up.total || hex.EncodeToString(sum[:]) != up.md5 {
		writeJSON(w, map[string]any{"BaseResponse": base(1), "MediaId": ""})
		return
	}
	s.nextID++
	up.media = fmt.Sprintf("@crypt_media_%d", s.nextID)
	s.uploads[up.media] = up
	writeJSON(w, map[string]any{"BaseResponse": base(0), "MediaId": up.media, "StartPos": up.total, "CDNThumbImgHeight": 0, "CDNThumbImgWidth": 0})
}

// appMsg is the XML of a file message.
type appMsg struct {
	XMLName   xml.Name `xml:"appmsg"`
	Type      int      `xml:"type"`
	Title     string   `xml:"title"`
	AppAttach struct {
		TotalLen int64  `xml:"totallen"`
		AttachId string `xml:"attachid"`
	} `xml:"appattach"`
}

// sendAppMsg sends an uploaded file (an appmsg of type 6 naming its
// MediaId); it is recorded and answered as webwxsendmsg is.
func (s *Server) sendAppMsg(w http.ResponseWriter, r *http.Request) {
	req, ok := readSend(w, r)
	if !ok {
		return
	}
	var am appMsg
	xmlErr := xml.Unmarshal([]byte(req.Msg.Content), &am)
	s.mu.Lock()
	ss := s.auth(r, req.BaseRequest.Sid)
	if ss == nil {
		s.mu.Unlock()
		writeJSON(w, map[string]any{"BaseResponse": base(1101)})
		return
	}
	up := s.uploads[am.AppAttach.AttachId]
	if xmlErr != nil || req.Msg.Type != 6 || am.Type != 6 || up == nil || up.total != am.AppAttach.TotalLen {
		s.mu.Unlock()
		writeJSON(w, map[string]any{"BaseResponse": base(1)})
		return
	}
	msg := ss.sent(req)
	msg.File = &File{Name: am.Title, Data: append([]byte(nil), up.data...)}
	s.mu.Unlock()
	s.deliver(w, msg)
}

// BadGateway, returned by an OnSend hook, answers the send with HTTP 502
// and no JSON, as a proxy whose upstream connection broke would.
const BadGateway = -1

// OnSend adds a hook that sees every webwxsendmsg of a live session before
// it is answered and returns the Ret to answer: 0 accepts the message (then
// FailSends still applies), another code refuses it (1205: too often), and
// BadGateway answers 502. The first hook returning non-zero decides. A hook
// may block, standing for a slow network; Sent.Ret and Sent.At are not yet
// set when it runs.
func (s *Server) OnSend(f func(Sent) int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendHooks = append(s.sendHooks, f)
}

func (s *Server) pushLogin(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pushes++
	if !s.opts.PushLogin || r.URL.Query().Get("uin") != strconv.FormatInt(s.uin, 10) {
		_ = json.NewEncoder(w).Encode(map[string]string{"ret": "1", "msg": "push login refused"})
		return
	}
	s.nextID++
	u := fmt.Sprintf("push%04d==", s.nextID)
	s.logins[u] = &loginState{push: true}
	s.broadcast()
	_ = json.NewEncoder(w).Encode(map[string]string{"ret": "0", "msg": "all ok", "uuid": u})
}

// WaitFor polls cond until it holds or timeout passes.
func WaitFor(timeout time.Duration, cond func() bool) bool {
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}
