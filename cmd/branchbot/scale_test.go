package main

// The scale harness: the real binary, built from this package, on Telegram
// against the fake Bot API server (bot/telegram/telegramtest), at the size of
// a whole university. It measures what a user of a small machine sees: the
// process's resident memory (VmRSS and its high-water mark VmHWM from
// /proc/<pid>/status) idle and through a burst, and the time from exec to the
// first getUpdates. Every figure is printed beside a baseline measured in the
// same run; a start is also measured in the CPU time the bot spent until its
// first getUpdates, which a machine busy with other work does not stretch.
// These are benchmarks, not tests (they take minutes):
//
//	go test -run XXX -bench ScaleMemory -benchtime 1x ./cmd/branchbot/
//	go test -run XXX -bench ScaleStart -benchtime 1x ./cmd/branchbot/
//
// BRANCHBOT_SCALE_GROUPS (default 1000) and BRANCHBOT_SCALE_MEMBERS (50) set
// the size, BRANCHBOT_SCALE_SETTLE (20s) how long the bot is left alone
// before its idle memory is read, BRANCHBOT_SCALE_LOG the bot's log level
// (its log is printed at the end with -v). The bot's own environment is the
// test's (set GOMEMLIMIT there to measure it). With BRANCHBOT_PPROF set
// (an address, see servePprof) the bot serves its profiles and
// BenchmarkScaleMemory saves heap profiles to BRANCHBOT_SCALE_PROFILES (a
// folder, default the temp folder) at the end of the burst and when idle.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/branchbot/branchbot/bot/telegram/telegramtest"
	"github.com/branchbot/branchbot/commands/commandtest"
	"github.com/branchbot/branchbot/commands/core"
	"github.com/branchbot/branchbot/configs"
	"github.com/branchbot/branchbot/storage"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// scaleWorld is one organisation on disk: a config, its database and the
// binary that runs on it.
type scaleWorld struct {
	b        *testing.B
	bin      string
	dir      string
	cfg      string
	db       string
	srv      *telegramtest.Server
	groups   int
	per      int
	colleges int
	// firstCPU is the CPU time the bot had used when it made its first
	// getUpdates (the last start).
	firstCPU time.Duration
}

// buildBot builds the branchbot binary once per benchmark.
func buildBot(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "branchbot")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// newScaleWorld writes a config for groups branches (in colleges of 100)
// of per members each, and migrates its database with the units in place.
func newScaleWorld(b *testing.B, bin string, srv *telegramtest.Server, groups, per int) *scaleWorld {
	b.Helper()
	w := &scaleWorld{b: b, bin: bin, dir: b.TempDir(), srv: srv, groups: groups, per: per, colleges: (groups + 99) / 100}
	w.db = filepath.Join(w.dir, "bot.db")
	var u strings.Builder
	u.WriteString("units:\n  - name: 学生工作部\n  - name: 组织部\n  - name: 校党委\n    children:\n")
	for c := range w.colleges {
		fmt.Fprintf(&u, "      - name: 学院%02d党委\n        children:\n", c+1)
		for g := c * 100; g < min(groups, (c+1)*100); g++ {
			fmt.Fprintf(&u, "          - name: %s\n", w.unitName(g))
		}
	}
	level := os.Getenv("BRANCHBOT_SCALE_LOG")
	if level == "" {
		level = "warn"
	}
	cfg := fmt.Sprintf(`data_dir: %s
database: %s
log_level: %s
tick: 10s
%sroster:
  seed_file: ""
platforms:
  terminal:
    enabled: false
  telegram:
    enabled: true
    token: "%s"
    api_url: %s
    poll_timeout: 10s
    limits:
      global_per_second: 30
      per_chat_per_second: 1
      per_chat_per_minute: 20
      merge: true
`, w.dir, w.db, level, u.String(), srv.Token, srv.URL)
	w.cfg = filepath.Join(w.dir, "branchbot.yaml")
	if err := os.WriteFile(w.cfg, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	return w
}

func (w *scaleWorld) unitName(g int) string {
	return fmt.Sprintf("学院%02d第%03d支部", g/100+1, g%100+1)
}

// open opens the world's database with its units in place, for seeding.
func (w *scaleWorld) open() (*storage.DB, []int64) {
	w.b.Helper()
	ctx := context.Background()
	cfg, err := configs.Load(w.cfg)
	if err != nil {
		w.b.Fatal(err)
	}
	db, err := storage.Open(ctx, w.db)
	if err != nil {
		w.b.Fatal(err)
	}
	tree, err := core.Setup(ctx, db, cfg)
	if err != nil {
		w.b.Fatal(err)
	}
	ids := make([]int64, w.groups)
	for g := range w.groups {
		u, ok := tree.ByName(w.unitName(g))
		if !ok {
			w.b.Fatalf("unit %s missing", w.unitName(g))
		}
		ids[g] = u.ID
	}
	return db, ids
}

// populate gives every branch its roster (per entries), and with chats its
// bound group chat; linked members per branch have their identity linked.
func (w *scaleWorld) populate(chats bool, linked int, history *storage.History) {
	w.b.Helper()
	ctx := context.Background()
	db, units := w.open()
	defer db.Close()
	p := storage.Population{Platform: "telegram", Units: units, PerUnit: w.per, Linked: linked, Chats: chats, Private: history != nil, At: time.Now().AddDate(-1, 0, -2)}
	if history != nil {
		p.At = history.End.AddDate(-history.Years, 0, -2)
	}
	if err := db.Populate(ctx, p); err != nil {
		w.b.Fatal(err)
	}
	if history != nil {
		us, err := db.Units(ctx)
		if err != nil {
			w.b.Fatal(err)
		}
		history.Departments = []int64{us[0].ID, us[1].ID} // 学生工作部, 组织部
		if err := db.GenerateHistory(ctx, *history); err != nil {
			w.b.Fatal(err)
		}
	}
}

// botProc is a running branchbot.
type botProc struct {
	cmd     *exec.Cmd
	stderr  *commandtest.SyncBuffer
	started time.Time
	done    chan error
}

// start runs the binary and waits for its first getUpdates; it returns the
// time from exec to that call.
func (w *scaleWorld) start() (*botProc, time.Duration) {
	w.b.Helper()
	first := make(chan time.Time, 1)
	var once sync.Once
	var p *botProc
	w.srv.OnCall(func(c telegramtest.Call) *telegramtest.Failure {
		if c.Method == "getUpdates" {
			once.Do(func() {
				w.firstCPU = procSchedCPU(p.cmd.Process.Pid)
				first <- c.At
			})
		}
		return nil
	})
	p = &botProc{stderr: &commandtest.SyncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(w.bin, "run", "--config", w.cfg)
	p.cmd.Stderr = p.stderr
	p.cmd.Stdout = p.stderr
	p.cmd.Env = append(os.Environ(), "BRANCHBOT_TELEGRAM_TOKEN=")
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		w.b.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	select {
	case at := <-first:
		return p, at.Sub(p.started)
	case err := <-p.done:
		w.b.Fatalf("branchbot exited: %v\n%s", err, p.stderr.String())
	case <-time.After(2 * time.Minute):
		p.kill()
		w.b.Fatalf("no getUpdates within 2 minutes\n%s", p.stderr.String())
	}
	return nil, 0
}

func (p *botProc) kill() { _ = p.cmd.Process.Kill() }

// showLog prints the bot's log so far when BRANCHBOT_SCALE_LOG asked for
// one.
func (p *botProc) showLog(what string) {
	if os.Getenv("BRANCHBOT_SCALE_LOG") == "" {
		return
	}
	fmt.Printf("  --- log, %s:\n%s\n", what, tail(p.stderr.String(), 6000))
}

// stop sends SIGTERM and waits for the bot to exit.
func (w *scaleWorld) stop(p *botProc) {
	w.b.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			w.b.Fatalf("branchbot exited with %v\n%s", err, p.stderr.String())
		}
	case <-time.After(90 * time.Second):
		p.kill()
		w.b.Fatalf("branchbot did not stop\n%s", p.stderr.String())
	}
}

// procStatus reads VmRSS and VmHWM (bytes) of a process.
func procStatus(pid int) (rss, hwm int64) { return storage.ProcessMemory(pid) }

// procCPU is the user+system CPU time a process has used.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * time.Second / 100 // USER_HZ
}

// procSchedCPU is the CPU time all threads of a process have spent
// running, in nanoseconds from /proc/<pid>/task/*/schedstat (procCPU counts
// in 10 ms ticks, too coarse for a start).
func procSchedCPU(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			total += time.Duration(n)
		}
	}
	return total
}

// idleRSS leaves the bot alone for the settle time, then reads its RSS five
// times a second apart and returns the median.
func (w *scaleWorld) idleRSS(p *botProc) int64 {
	time.Sleep(envDuration("BRANCHBOT_SCALE_SETTLE", 20*time.Second))
	var rs []int64
	for range 5 {
		r, _ := procStatus(p.cmd.Process.Pid)
		rs = append(rs, r)
		time.Sleep(time.Second)
	}
	slices.Sort(rs)
	return rs[len(rs)/2]
}

// waitQuiet waits until every update is confirmed, cond holds on the
// database and no message waits in the outbox.
func (w *scaleWorld) waitQuiet(p *botProc, timeout time.Duration, cond func(map[string]int64) bool) {
	w.b.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(timeout)
	for {
		if time.Now().After(deadline) {
			w.b.Fatalf("not quiet within %s (%d updates unconfirmed)\n%s", timeout, w.srv.Pending(), tail(p.stderr.String(), 3000))
		}
		select {
		case err := <-p.done:
			w.b.Fatalf("branchbot exited: %v\n%s", err, tail(p.stderr.String(), 3000))
		case <-time.After(500 * time.Millisecond):
		}
		if w.srv.Pending() > 0 {
			continue
		}
		db, err := storage.OpenReadOnly(ctx, w.db)
		if err != nil {
			continue
		}
		counts, err := db.RowCounts(ctx)
		pending := -1
		if err == nil {
			pending, err = db.PendingCount(ctx, "telegram", time.Now().AddDate(10, 0, 0))
		}
		db.Close()
		if err == nil && pending == 0 && (cond == nil || cond(counts)) {
			return
		}
	}
}

// saveHeap saves the bot's heap profile as name in BRANCHBOT_SCALE_PROFILES
// when it serves its profiles (BRANCHBOT_PPROF).
func saveHeap(name string) {
	addr := os.Getenv("BRANCHBOT_PPROF")
	if addr == "" {
		return
	}
	dir := os.Getenv("BRANCHBOT_SCALE_PROFILES")
	if dir == "" {
		dir = os.TempDir()
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/heap")
	if err != nil {
		fmt.Printf("  heap profile: %v\n", err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err == nil {
		fmt.Printf("  heap profile saved: %s\n", path)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func mib(v int64) string { return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20)) }

// burst pushes the whole burst at once: the bot added to every group, a
// check-in opened by each group's secretary, then every member's check-in,
// the groups' turns interleaved. It returns how many updates it pushed.
func (w *scaleWorld) burst() int {
	n := 0
	secretary := func(g int) telegramtest.User {
		return telegramtest.Person(storage.FixtureMemberID(g, 0, w.per), "书记", fmt.Sprint(g))
	}
	chat := func(g int) telegramtest.Chat {
		return telegramtest.Group(storage.FixtureChatID(g), w.unitName(g)+"群")
	}
	for g := range w.groups {
		w.srv.AddBot(chat(g), secretary(g))
		n++
	}
	for g := range w.groups {
		w.srv.Say(chat(g), secretary(g), "/checkin open 组织生活会 2h")
		n++
	}
	for m := range w.per {
		for g := range w.groups {
			u := telegramtest.Person(storage.FixtureMemberID(g, m, w.per), "成员", fmt.Sprintf("%d-%d", g, m))
			w.srv.Say(chat(g), u, "/checkin")
			n++
		}
	}
	return n
}

// BenchmarkScaleMemory measures the bot's resident memory: idle on an empty
// database (the baseline), idle with nothing known but a roster of groups ×
// members entries, then through a burst in which every group adds the bot,
// opens a check-in and every member checks in once (peak: VmHWM at the end
// of the burst), idle after that burst, and idle again after a restart on
// the same database.
func BenchmarkScaleMemory(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc")
	}
	groups, per := envInt("BRANCHBOT_SCALE_GROUPS", 1000), envInt("BRANCHBOT_SCALE_MEMBERS", 50)
	bin := buildBot(b)
	for b.Loop() {
		b.StopTimer()
		var rows [][2]string
		report := func(what, v string) {
			rows = append(rows, [2]string{what, v})
			fmt.Printf("  %-58s %s\n", what, v)
		}
		fmt.Printf("BenchmarkScaleMemory: %d groups × %d members\n", groups, per)

		srv := telegramtest.New(b, telegramtest.Options{})
		empty := newScaleWorld(b, bin, srv, groups, per)
		db, _ := empty.open() // units only
		db.Close()
		p, _ := empty.start()
		emptyRSS := empty.idleRSS(p)
		empty.stop(p)
		report("baseline: idle RSS, empty database", mib(emptyRSS))

		srv = telegramtest.New(b, telegramtest.Options{})
		rosterOnly := newScaleWorld(b, bin, srv, groups, per)
		rosterOnly.populate(false, 0, nil)
		p, _ = rosterOnly.start()
		rosterRSS := rosterOnly.idleRSS(p)
		p.showLog("roster only")
		rosterOnly.stop(p)
		report(fmt.Sprintf("idle RSS, nothing known but a %d-entry roster", groups*per), mib(rosterRSS))

		srv = telegramtest.New(b, telegramtest.Options{})
		w := newScaleWorld(b, bin, srv, groups, per)
		w.populate(true, 1, nil)
		p, _ = w.start()
		beforeRSS := w.idleRSS(p)
		report("idle RSS before the burst", mib(beforeRSS))
		cpu0 := procCPU(p.cmd.Process.Pid)
		t0 := time.Now()
		n := w.burst()
		var peak, saved int64
		stopSampling := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for {
				if r, _ := procStatus(p.cmd.Process.Pid); r > peak {
					peak = r
					if peak > saved+8<<20 { // near the peak
						saved = peak
						saveHeap("heap-peak.pprof")
					}
				}
				select {
				case <-stopSampling:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
		want := int64(groups * per)
		w.waitQuiet(p, 30*time.Minute, func(c map[string]int64) bool { return c["checkins"] >= want })
		took := time.Since(t0)
		close(stopSampling)
		<-sampled
		cpu := procCPU(p.cmd.Process.Pid) - cpu0
		_, hwm := procStatus(p.cmd.Process.Pid)
		report(fmt.Sprintf("burst of %d updates: handled and delivered in", n), fmt.Sprintf("%.1f s, CPU %.1f s", took.Seconds(), cpu.Seconds()))
		report("peak RSS during the burst (VmHWM; sampled max)", fmt.Sprintf("%s (%s)", mib(hwm), mib(peak)))
		idle := w.idleRSS(p)
		saveHeap("heap-idle.pprof")
		_, hwm = procStatus(p.cmd.Process.Pid)
		p.showLog("after the burst")
		report(fmt.Sprintf("idle RSS, %d groups × %d members known, after every member checked in once", groups, per), fmt.Sprintf("%s (HWM %s)", mib(idle), mib(hwm)))
		w.stop(p)
		p, _ = w.start()
		restart := w.idleRSS(p)
		w.stop(p)
		report("idle RSS with the same database after a restart", mib(restart))
		b.ReportMetric(float64(emptyRSS)/(1<<20), "empty-MiB")
		b.ReportMetric(float64(rosterRSS)/(1<<20), "roster-MiB")
		b.ReportMetric(float64(hwm)/(1<<20), "peak-MiB")
		b.ReportMetric(float64(idle)/(1<<20), "idle-MiB")
		b.ReportMetric(float64(restart)/(1<<20), "restart-MiB")
		b.StartTimer()
	}
}

// BenchmarkScaleStart measures the time from exec to the first getUpdates
// with 100,000 tickets and a year of a 20,000-member university's history,
// and with a roster of groups × members entries every one of them linked to
// a member (a restart of a bot that has seen everyone), each beside a start
// on an empty database with the same units. Each is the median of three
// starts.
func BenchmarkScaleStart(b *testing.B) {
	groups, per := envInt("BRANCHBOT_SCALE_GROUPS", 1000), envInt("BRANCHBOT_SCALE_MEMBERS", 50)
	bin := buildBot(b)
	for b.Loop() {
		b.StopTimer()
		fmt.Printf("BenchmarkScaleStart\n")
		// Each start is also measured in CPU time spent by the bot until
		// its first getUpdates, which a busy machine does not stretch.
		cpus := map[*scaleWorld]time.Duration{}
		median := func(w *scaleWorld) time.Duration {
			var ds, cs []time.Duration
			for range 3 {
				p, d := w.start()
				ds = append(ds, d)
				cs = append(cs, w.firstCPU)
				w.stop(p)
			}
			slices.Sort(ds)
			slices.Sort(cs)
			cpus[w] = cs[1]
			return ds[1]
		}
		// Each is beside a start on an empty database with the same units
		// (the organisation's size costs a little at start too).
		var emptyCPU time.Duration
		emptyStart := func(groups int) time.Duration {
			w := newScaleWorld(b, bin, telegramtest.New(b, telegramtest.Options{}), groups, per)
			db, _ := w.open() // units only
			db.Close()
			d := median(w)
			emptyCPU = cpus[w]
			return d
		}
		emptyUni := emptyStart(400)
		emptyUniCPU := emptyCPU
		hist := newScaleWorld(b, bin, telegramtest.New(b, telegramtest.Options{}), 400, per)
		h := storage.YearOfHistory("telegram", time.Now().Add(-time.Hour), per, nil)
		h.Tickets = 100_000
		hist.populate(true, per, &h)
		histStart := median(hist)
		fmt.Printf("  %-62s %4d ms, empty %d ms (%.1f×); CPU %d ms, empty %d ms\n", "start, 100,000 tickets and a year of history (400 groups)", histStart.Milliseconds(),
			emptyUni.Milliseconds(), float64(histStart)/float64(emptyUni), cpus[hist].Milliseconds(), emptyUniCPU.Milliseconds())

		emptyBig := emptyStart(groups)
		known := newScaleWorld(b, bin, telegramtest.New(b, telegramtest.Options{}), groups, per)
		known.populate(true, per, nil)
		knownStart := median(known)
		fmt.Printf("  %-62s %4d ms, empty %d ms (%.1f×); CPU %d ms, empty %d ms\n", fmt.Sprintf("restart, %d-entry roster and %d members known (%d groups)", groups*per, groups*per, groups),
			knownStart.Milliseconds(), emptyBig.Milliseconds(), float64(knownStart)/float64(emptyBig), cpus[known].Milliseconds(), emptyCPU.Milliseconds())
		b.ReportMetric(float64(emptyUni.Milliseconds()), "empty-ms")
		b.ReportMetric(float64(histStart.Milliseconds()), "history-ms")
		b.ReportMetric(float64(knownStart.Milliseconds()), "known-ms")
		b.ReportMetric(float64(cpus[hist].Milliseconds()), "history-cpu-ms")
		b.StartTimer()
	}
}

// countUpdates are the running counts ("已签到") the bot sent to chat at or
// after from, in order.
func (w *scaleWorld) countUpdates(chat int64, from time.Time) []time.Time {
	var out []time.Time
	for _, c := range w.srv.Calls("sendMessage", "editMessageText") {
		if c.Int("chat_id") == chat && !c.At.Before(from) && strings.Contains(c.Params["text"], "已签到") {
			out = append(out, c.At)
		}
	}
	return out
}

// BenchmarkScalePacing measures what members see of their check-ins on
// Telegram (default limits: 30/s, 1/s and 20/min per chat): at light load
// the time from a check-in reaching the Bot API to the group's running count
// going out (p50, p99), and, with 200 check-ins a second into 10 busy groups
// for a minute, how often each group's running count moves (updates in the
// first 20 s, the longest time it stands still). The sender's pacing is
// issue 16's "even pacing" item (h14-reliable); this only measures it.
func BenchmarkScalePacing(b *testing.B) {
	const groups, busy = 100, 10
	bin := buildBot(b)
	for b.Loop() {
		b.StopTimer()
		w := newScaleWorld(b, bin, telegramtest.New(b, telegramtest.Options{}), groups, 1)
		w.populate(true, 1, nil)
		p, _ := w.start()
		chat := func(g int) telegramtest.Chat {
			return telegramtest.Group(storage.FixtureChatID(g), w.unitName(g)+"群")
		}
		for g := range groups {
			sec := telegramtest.Person(storage.FixtureMemberID(g, 0, 1), "书记", fmt.Sprint(g))
			w.srv.AddBot(chat(g), sec)
			w.srv.Say(chat(g), sec, "/checkin open 组织生活会 2h")
		}
		w.waitQuiet(p, 5*time.Minute, func(c map[string]int64) bool { return c["checkin_sessions"] >= groups })
		time.Sleep(2 * time.Second)

		// Light load: one check-in every 200 ms, each group's 20 s apart.
		member := int64(5_000_000)
		say := func(g int) time.Time {
			member++
			u := telegramtest.Person(member, "成员", fmt.Sprint(member))
			m := w.srv.NewMessage(chat(g), u, "/checkin")
			t := time.Now()
			w.srv.Push(telegramtest.Update{Message: &m})
			return t
		}
		type sent struct {
			g  int
			at time.Time
		}
		var light []sent
		for i := range 2 * groups {
			light = append(light, sent{i % groups, say(i % groups)})
			time.Sleep(200 * time.Millisecond)
		}
		time.Sleep(3 * time.Second)
		var lat []time.Duration
		for _, s := range light {
			if ups := w.countUpdates(storage.FixtureChatID(s.g), s.at); len(ups) > 0 {
				lat = append(lat, ups[0].Sub(s.at))
			}
		}
		slices.Sort(lat)
		if len(lat) < len(light)*9/10 {
			b.Fatalf("only %d of %d check-ins got a running count", len(lat), len(light))
		}
		p50, p99 := lat[len(lat)/2], lat[(len(lat)*99+99)/100-1]
		fmt.Printf("BenchmarkScalePacing: %d groups, Telegram's default limits\n", groups)
		fmt.Printf("  %-58s p50 %d ms, p99 %d ms (%d check-ins)\n", "check-in to running count at light load", p50.Milliseconds(), p99.Milliseconds(), len(lat))

		// Busy: 200 check-ins a second into 10 groups for 60 s.
		time.Sleep(65 * time.Second) // the light load's windows empty
		start := time.Now()
		for i := 0; time.Since(start) < time.Minute; i++ {
			say(i % busy)
			if d := time.Until(start.Add(time.Duration(i+1) * 5 * time.Millisecond)); d > 0 {
				time.Sleep(d)
			}
		}
		time.Sleep(20 * time.Second)
		var maxGap time.Duration
		var in20 []int
		for g := range busy {
			ups := w.countUpdates(storage.FixtureChatID(g), start)
			n := 0
			prev := start
			for _, u := range ups {
				if u.Sub(start) <= 20*time.Second {
					n++
				}
				if u.Before(start.Add(time.Minute)) {
					maxGap = max(maxGap, u.Sub(prev))
					prev = u
				}
			}
			maxGap = max(maxGap, start.Add(time.Minute).Sub(prev))
			in20 = append(in20, n)
		}
		slices.Sort(in20)
		fmt.Printf("  %-58s %d updates in the first 20 s (median of %d groups), longest still %.0f s\n",
			"200 check-ins/s into 10 groups: the running count", in20[len(in20)/2], busy, maxGap.Seconds())
		w.stop(p)
		b.ReportMetric(float64(p50.Milliseconds()), "p50-ms")
		b.ReportMetric(float64(p99.Milliseconds()), "p99-ms")
		b.ReportMetric(maxGap.Seconds(), "still-s")
		b.StartTimer()
	}
}
