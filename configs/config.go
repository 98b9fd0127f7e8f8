// Package configs loads branchbot's YAML configuration with strict decoding:
// an unknown or mistyped key is an error naming the key and its line. The
// runnable default, branchbot.yaml, is embedded so the bot starts on a fresh
// machine with no files at all.
package configs

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

//go:embed branchbot.yaml
var defaultYAML []byte

//go:embed demo_roster.csv
var demoRoster []byte

// DemoRosterPath is the demo roster the default config seeds from; when the
// file is absent the embedded copy is used.
const DemoRosterPath = "configs/demo_roster.csv"

// DemoRoster is the embedded demo roster (CSV).
func DemoRoster() []byte { return bytes.Clone(demoRoster) }

// DefaultPath is where the CLI looks for the config by default.
const DefaultPath = "configs/branchbot.yaml"

// Config is the whole configuration. Each section is documented in README.md.
type Config struct {
	Bot       BotConfig       `yaml:"bot"`
	Timezone  string          `yaml:"timezone"`
	DataDir   string          `yaml:"data_dir"`
	Database  string          `yaml:"database"`
	LogLevel  string          `yaml:"log_level"`
	Tick      time.Duration   `yaml:"tick"`
	Admins    []string        `yaml:"admins"`
	Units     []UnitConfig    `yaml:"units"`
	Roster    RosterConfig    `yaml:"roster"`
	Platforms PlatformsConfig `yaml:"platforms"`
	Calendar  CalendarConfig  `yaml:"calendar"`
	SLA       SLAConfig       `yaml:"sla"`
	Study     StudyConfig     `yaml:"study"`
	LLM       LLMConfig       `yaml:"llm"`
	Exports   ExportsConfig   `yaml:"exports"`
	Followup  FollowupConfig  `yaml:"followup"`
	Meetings  MeetingsConfig  `yaml:"meetings"`
	Console   ConsoleConfig   `yaml:"console"`
	Memory    MemoryConfig    `yaml:"memory"`
	Retention RetentionConfig `yaml:"retention"`
	// MessageAgeLimit bounds how far before the bot's clock a message's
	// platform time may lie and still count as when the member acted.
	MessageAgeLimit time.Duration `yaml:"message_age_limit"`

	// Warnings are things about the file worth logging once the logger
	// exists (an empty file).
	Warnings []string `yaml:"-"`
}

// BotConfig names the bot.
type BotConfig struct {
	Name string `yaml:"name"` // how replies are signed in the terminal, e.g. branchbot
}

// UnitConfig is one node of the organisation tree.
type UnitConfig struct {
	Name     string       `yaml:"name"`
	Children []UnitConfig `yaml:"children"`
	// Review is the broadcast review chain for drafts of this unit.
	Review []ReviewLevel `yaml:"review"`
}

// ReviewLevel is one level of a review chain: any listed role title or
// named member may approve.
type ReviewLevel struct {
	Name    string   `yaml:"name"`    // e.g. 分管副部长审核
	Titles  []string `yaml:"titles"`  // roster titles, e.g. 副部长
	Members []string `yaml:"members"` // roster numbers (学号/工号)
}

// RosterConfig configures the roster.
type RosterConfig struct {
	// SeedFile is imported at start when the roster is empty (the demo).
	SeedFile string `yaml:"seed_file"`
	// Link says how chat identities prove they are a roster entry's person.
	Link LinkConfig `yaml:"link"`
}

// CalendarConfig configures the business calendar.
type CalendarConfig struct {
	// HolidaysDir holds holiday-cn JSON files that override built-in years.
	HolidaysDir string `yaml:"holidays_dir"`
}

// ExportsConfig configures where spreadsheets are written.
type ExportsConfig struct {
	Dir string `yaml:"dir"` // default <data_dir>/exports
}

// PlatformsConfig holds one section per chat platform.
type PlatformsConfig struct {
	Terminal TerminalConfig `yaml:"terminal"`
	Telegram TelegramConfig `yaml:"telegram"`
	WeChat   WeChatConfig   `yaml:"wechat"`
	QQ       QQConfig       `yaml:"qq"`
}

// TerminalConfig is the local terminal chat.
type TerminalConfig struct {
	Enabled bool         `yaml:"enabled"`
	Limits  LimitsConfig `yaml:"limits"`
}

// LimitsConfig is a platform's sending limits for the outbox.
type LimitsConfig struct {
	GlobalPerSecond int `yaml:"global_per_second"`
	// GlobalPerMinute caps all sends of the platform per minute, spread
	// evenly (QQ); not together with GlobalPerSecond.
	GlobalPerMinute  int           `yaml:"global_per_minute"`
	PerChatPerSecond int           `yaml:"per_chat_per_second"`
	PerChatPerMinute int           `yaml:"per_chat_per_minute"`
	MinInterval      time.Duration `yaml:"min_interval"`
	MaxInterval      time.Duration `yaml:"max_interval"`
	Merge            bool          `yaml:"merge"`
	// Concurrency is how many sends may be in flight at once, to different
	// chats (default 1; Telegram 8).
	Concurrency int `yaml:"concurrency"`
}

// Default returns the embedded default configuration.
func Default() (*Config, error) { return Parse(defaultYAML, "embedded "+DefaultPath) }

// DefaultYAML is the embedded default configuration file.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Load reads the config file at path. If path is DefaultPath and the file
// does not exist, the embedded default is used.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && path == DefaultPath {
		return Default()
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(b, path)
}

var (
	lineRE      = regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)
	unmarshalRE = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")
)

// Parse decodes and validates a config; name is used in error messages.
func Parse(b []byte, name string) (*Config, error) {
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); errors.Is(err, io.EOF) {
		cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("config %s is empty: the built-in defaults are used", name))
	} else if err != nil {
		return nil, fmt.Errorf("config %s: %s", name, describeYAMLError(err, keyPaths(b)))
	}
	cfg.applyDefaults()
	cfg.applyEnv()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	return cfg, nil
}

// describeYAMLError words a decoding error for the person editing the file:
// each problem by its line and the key it is under (paths maps a line to
// the dotted key path written on it, see keyPaths).
func describeYAMLError(err error, paths map[int]string) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, len(te.Errors))
		for i, e := range te.Errors {
			msgs[i] = describeTypeError(e, paths)
		}
		return strings.Join(msgs, "; ")
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

func describeTypeError(e string, paths map[int]string) string {
	if m := lineRE.FindStringSubmatch(e); m != nil {
		line, _ := strconv.Atoi(m[1])
		key := m[2]
		if p := paths[line]; p != "" {
			key = p
		}
		return fmt.Sprintf("line %s: unknown key %q", m[1], key)
	}
	m := unmarshalRE.FindStringSubmatch(e)
	if m == nil {
		return e
	}
	line, _ := strconv.Atoi(m[1])
	key := paths[line]
	if key == "" {
		return e
	}
	var want string
	switch into := m[4]; {
	case into == "time.Duration":
		want = "a duration like 30s, 10m or 24h"
	case into == "bool":
		want = "true or false"
	case strings.HasPrefix(into, "int") || strings.HasPrefix(into, "uint"):
		want = "a whole number"
	case strings.HasPrefix(into, "float"):
		want = "a number"
	case into == "string":
		want = "text (quote it)"
	case strings.HasPrefix(into, "[]"):
		want = "a list"
	case strings.HasPrefix(into, "map[") || strings.Contains(into, "."):
		want = "a block of keys"
	default:
		want = "a " + into
	}
	got := "`" + m[3] + "`"
	switch m[2] {
	case "seq":
		got = "a list"
	case "map":
		got = "a block of keys"
	}
	return fmt.Sprintf("line %s: %s: %s is not %s", m[1], key, got, want)
}

// keyPaths maps each line of a YAML document to the dotted path of the key
// written on it (study.pushes[0].cron), for error messages. A document that
// does not parse gives an empty map.
func keyPaths(b []byte) map[int]string {
	paths := map[int]string{}
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil {
		return paths
	}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, prefix)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if prefix != "" {
					p = prefix + "." + k.Value
				}
				if _, ok := paths[k.Line]; !ok {
					paths[k.Line] = p
				}
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", prefix, i)
				if _, ok := paths[c.Line]; !ok && c.Kind == yaml.ScalarNode {
					paths[c.Line] = p
				}
				walk(c, p)
			}
		}
	}
	walk(&doc, "")
	return paths
}

func (c *Config) applyDefaults() {
	if c.Bot.Name == "" {
		c.Bot.Name = "branchbot"
	}
	if c.Timezone == "" {
		c.Timezone = "Asia/Shanghai"
	}
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	if c.Database == "" {
		c.Database = strings.TrimSuffix(c.DataDir, "/") + "/branchbot.db"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.Tick == 0 {
		c.Tick = 10 * time.Second
	}
	if c.MessageAgeLimit == 0 {
		c.MessageAgeLimit = 24 * time.Hour
	}
	if c.Exports.Dir == "" {
		c.Exports.Dir = strings.TrimSuffix(c.DataDir, "/") + "/exports"
	}
	for _, d := range sectionDefaults {
		d(c)
	}
}

func (c *Config) applyEnv() {
	for _, f := range envOverrides {
		f(c)
	}
}

// sectionDefaults and envOverrides let each section's file add its own
// defaults and environment variables without touching this file.
var (
	sectionDefaults []func(*Config)
	envOverrides    []func(*Config)
	validators      []func(*Config) error
)

// Validate checks values that decoding cannot, naming the key at fault.
func (c *Config) Validate() error {
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		return fmt.Errorf("timezone: unknown time zone %q", c.Timezone)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level: must be debug, info, warn or error, not %q", c.LogLevel)
	}
	if c.MessageAgeLimit < time.Minute {
		return fmt.Errorf("message_age_limit: must be at least 1m, not %s", c.MessageAgeLimit)
	}
	for name, l := range map[string]LimitsConfig{"telegram": c.Platforms.Telegram.Limits, "wechat": c.Platforms.WeChat.Limits, "terminal": c.Platforms.Terminal.Limits, "qq": c.Platforms.QQ.Limits} {
		if l.Concurrency < 0 || l.Concurrency > 64 {
			return fmt.Errorf("platforms.%s.limits.concurrency: must be between 1 and 64, not %d", name, l.Concurrency)
		}
	}
	if c.Tick < time.Second {
		return fmt.Errorf("tick: must be at least 1s, not %s", c.Tick)
	}
	for i, a := range c.Admins {
		if k, v, ok := strings.Cut(a, ":"); !ok || k == "" || v == "" {
			return fmt.Errorf("admins[%d]: %q must be platform:user_id or roster:<学号>", i, a)
		}
	}
	seen := map[string]bool{}
	var walk func(path string, us []UnitConfig) error
	walk = func(path string, us []UnitConfig) error {
		for i, u := range us {
			p := fmt.Sprintf("%s[%d]", path, i)
			if strings.TrimSpace(u.Name) == "" {
				return fmt.Errorf("%s.name: a unit needs a name", p)
			}
			if seen[u.Name] {
				return fmt.Errorf("%s.name: unit %q appears twice", p, u.Name)
			}
			seen[u.Name] = true
			if len(u.Review) > 3 {
				return fmt.Errorf("%s.review: at most three levels, not %d", p, len(u.Review))
			}
			for j, l := range u.Review {
				if len(l.Titles) == 0 && len(l.Members) == 0 {
					return fmt.Errorf("%s.review[%d]: a level needs titles or members", p, j)
				}
			}
			if err := walk(p+".children", u.Children); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("units", c.Units); err != nil {
		return err
	}
	for name, l := range map[string]LimitsConfig{"terminal": c.Platforms.Terminal.Limits, "telegram": c.Platforms.Telegram.Limits, "wechat": c.Platforms.WeChat.Limits, "qq": c.Platforms.QQ.Limits} {
		if l.GlobalPerSecond < 0 || l.GlobalPerMinute < 0 || l.PerChatPerSecond < 0 || l.PerChatPerMinute < 0 {
			return fmt.Errorf("platforms.%s.limits: limits cannot be negative", name)
		}
		if l.GlobalPerSecond > 0 && l.GlobalPerMinute > 0 {
			return fmt.Errorf("platforms.%s.limits: set global_per_second or global_per_minute, not both", name)
		}
		if l.MaxInterval < l.MinInterval {
			return fmt.Errorf("platforms.%s.limits.max_interval: must not be less than min_interval", name)
		}
	}
	for _, v := range validators {
		if err := v(c); err != nil {
			return err
		}
	}
	return nil
}

// Location is the configured time zone.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// WalkUnits calls fn for every configured unit, parents before children.
func (c *Config) WalkUnits(fn func(u UnitConfig, parent string)) {
	var walk func(parent string, us []UnitConfig)
	walk = func(parent string, us []UnitConfig) {
		for _, u := range us {
			fn(u, parent)
			walk(u.Name, u.Children)
		}
	}
	walk("", c.Units)
}
