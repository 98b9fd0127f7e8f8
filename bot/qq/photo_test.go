package qq_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/branchbot/branchbot/bot"
	"github.com/branchbot/branchbot/bot/qq"
	"github.com/branchbot/branchbot/bot/qq/qqtest"
)

// picServer serves files by path, as QQ's picture servers do, and counts
// downloads; a path it does not know is 404.
func picServer(t *testing.T, files map[string][]byte) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		data, ok := files[req.URL.Path]
		if !ok || req.URL.Query().Get("rkey") != "k1" {
			http.NotFound(w, req)
			return
		}
		n.Add(1)
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var pic bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	return pic.Bytes()
}

// TestMinutesPhotoOverQQ: a picture captioned "/会议记录 #1" in a QQ group
// goes through the fake bridge, the real adapter (the picture's url,
// downloaded over HTTP), the engine and the check-in feature into the
// minutes folder and the session's record, its words kept as minutes; a
// file that is not a picture is refused and nothing is kept of it. Both
// message formats: arrays and CQ strings (where the url's & is escaped).
func TestMinutesPhotoOverQQ(t *testing.T) {
	for _, format := range []string{"array", "string"} {
		t.Run(format, func(t *testing.T) {
			pic := pngBytes(t)
			srv, downloads := picServer(t, map[string][]byte{"/pic.png": pic, "/text.png": []byte("not a picture at all, just some text")})
			r := newRig(t, rigOptions{bridge: qqtest.Options{StringFormat: format == "string"}})
			r.setUpBranch()
			r.sayText(secQQ, "发起签到 支部党员大会 30m")
			r.await(0, "签到开始：支部党员大会（#1）", 0)

			r.say(secQQ, qqtest.Text("/会议记录 #1 会场照片"), qqtest.Image("ABCD.png", srv.URL+"/pic.png?appid=1407&rkey=k1"))
			r.await(0, "已为签到 #1「支部党员大会」添加会议照片（第 1 张", 0)
			r.await(0, "配文已作为会议记录保存（4 字）", 0)
			ps, err := r.db.CheckinPhotos(context.Background(), 1)
			if err != nil || len(ps) != 1 {
				t.Fatalf("photos %v, %v", ps, err)
			}
			if ps[0].AuthorName != "周书记" || !strings.HasSuffix(ps[0].File, ".png") {
				t.Errorf("photo recorded as %+v", ps[0])
			}
			photos := filepath.Join(r.dir, "minutes")
			got, err := os.ReadFile(filepath.Join(photos, ps[0].File))
			if err != nil || !bytes.Equal(got, pic) {
				t.Errorf("the kept file differs from the picture sent (%v)", err)
			}
			notes, err := r.db.CheckinNotes(context.Background(), 1)
			if err != nil || len(notes) != 1 || notes[0].Text != "会场照片" {
				t.Errorf("notes %v, %v", notes, err)
			}

			r.say(secQQ, qqtest.Text("/会议记录"), qqtest.Image("EFGH.png", srv.URL+"/text.png?rkey=k1"))
			r.await(0, "收到的文件不是图片", 0)
			if downloads.Load() != 2 {
				t.Errorf("%d downloads, want 2", downloads.Load())
			}
			if ps, _ := r.db.CheckinPhotos(context.Background(), 1); len(ps) != 1 {
				t.Errorf("%d photos after a refused file, want 1", len(ps))
			}
			if entries, _ := os.ReadDir(photos); len(entries) != 1 {
				t.Errorf("%d files in the minutes folder, want 1", len(entries))
			}
		})
	}
}

// TestFetchImageLimits: the size limit holds whatever the server says the
// length is, a missing picture is an error, and only http(s) addresses are
// fetched; errors never show the address's key.
func TestFetchImageLimits(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 2048)
	srv, _ := picServer(t, map[string][]byte{"/big": big, "/small": big[:100]})
	p, err := qq.New(qq.Options{Listen: "127.0.0.1:0", Logger: logger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if data, err := p.FetchImage(ctx, srv.URL+"/small?rkey=k1", 1024); err != nil || len(data) != 100 {
		t.Errorf("small picture: %d bytes, %v", len(data), err)
	}
	if _, err := p.FetchImage(ctx, srv.URL+"/big?rkey=k1", 1024); !errors.Is(err, bot.ErrTooLarge) {
		t.Errorf("big picture: %v, want ErrTooLarge", err)
	}
	if _, err := p.FetchImage(ctx, srv.URL+"/gone?rkey=k1", 1024); err == nil || strings.Contains(err.Error(), "k1") {
		t.Errorf("missing picture: %v, want an error without the key", err)
	}
	for _, id := range []string{"file:///etc/passwd", "base64://aGVsbG8=", "ABCD.png", ""} {
		if _, err := p.FetchImage(ctx, id, 1024); err == nil {
			t.Errorf("%q was fetched", id)
		}
	}
}
