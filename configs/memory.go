package configs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MemoryConfig bounds what the running bot keeps in memory.
type MemoryConfig struct {
	// Limit is the Go runtime's soft memory limit ("96MiB"; "off" for
	// none); the environment's GOMEMLIMIT, if set, takes precedence.
	Limit string `yaml:"limit"`
	// Cached rows of the per-message lookups.
	CachedChats   int `yaml:"cached_chats"`
	CachedMembers int `yaml:"cached_members"`
	CachedRoster  int `yaml:"cached_roster"`
	// SQLite page cache budgets: the write connection's, and each of the
	// four read connections'.
	WriterCache string `yaml:"writer_cache"`
	ReaderCache string `yaml:"reader_cache"`
}

// RetentionConfig says how long history that only grows is kept.
type RetentionConfig struct {
	// Outbox is how long a message that left the queue (delivered, failed,
	// superseded) is kept: "720h" by default; "0s" keeps every message.
	Outbox *time.Duration `yaml:"outbox"`
}

// DefaultMemoryLimit is memory.limit's default.
const DefaultMemoryLimit = "44MiB"

// DefaultOutboxRetention is retention.outbox's default: 30 days.
const DefaultOutboxRetention = 30 * 24 * time.Hour

// OutboxRetention is retention.outbox with its default; zero keeps every
// message.
func (r RetentionConfig) OutboxRetention() time.Duration {
	if r.Outbox == nil {
		return DefaultOutboxRetention
	}
	return *r.Outbox
}

// LimitBytes is memory.limit in bytes; 0 for "off".
func (m MemoryConfig) LimitBytes() (int64, error) {
	if strings.EqualFold(strings.TrimSpace(m.Limit), "off") {
		return 0, nil
	}
	return ParseSize(m.Limit)
}

// ParseSize reads a size in bytes written as an integer with an optional
// unit: B, KiB, MiB, GiB (or KB, MB, GB, read as the same powers of 1024).
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		shift  uint
	}{{"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"KB", 10}, {"MB", 20}, {"GB", 30}, {"K", 10}, {"M", 20}, {"G", 30}, {"B", 0}}
	shift := uint(0)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, shift = strings.TrimSpace(rest), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<(62-shift) {
		return 0, fmt.Errorf("%q is not a size such as 64MiB", s)
	}
	return n << shift, nil
}

func init() {
	sectionDefaults = append(sectionDefaults, func(c *Config) {
		m := &c.Memory
		if m.Limit == "" {
			m.Limit = DefaultMemoryLimit
		}
		if m.WriterCache == "" {
			m.WriterCache = "32MiB"
		}
		if m.ReaderCache == "" {
			m.ReaderCache = "4MiB"
		}
	})
	validators = append(validators, func(c *Config) error {
		m := c.Memory
		if _, err := m.LimitBytes(); err != nil {
			return fmt.Errorf("memory.limit: %w (or off)", err)
		}
		for key, v := range map[string]string{"memory.writer_cache": m.WriterCache, "memory.reader_cache": m.ReaderCache} {
			n, err := ParseSize(v)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			if n < 1<<20 {
				return fmt.Errorf("%s: at least 1MiB, not %s", key, v)
			}
		}
		for key, v := range map[string]int{"memory.cached_chats": m.CachedChats, "memory.cached_members": m.CachedMembers, "memory.cached_roster": m.CachedRoster} {
			if v < 0 {
				return fmt.Errorf("%s: cannot be negative", key)
			}
		}
		if r := c.Retention.Outbox; r != nil && *r < 0 {
			return fmt.Errorf("retention.outbox: cannot be negative (0s keeps every message)")
		}
		return nil
	})
}
