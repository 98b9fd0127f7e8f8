package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/branchbot/branchbot/bot"
)

// argon2id parameters: OWASP's first profile (19 MiB, 2 passes, 1 lane),
// about 0.1 s per hash on a small server. bcrypt is not used: it ignores
// everything past 72 bytes, 24 Chinese characters.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password length limits, in characters and bytes.
const (
	MinPasswordChars = 8
	MaxPasswordBytes = 1024
)

// HashPassword hashes a password with argon2id into a PHC string
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a PHC string made by
// HashPassword (with whatever parameters it names).
func CheckPassword(phc, password string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil || mem == 0 || iters == 0 || threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when the account has no password, so that
// a wrong 工号 takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("branchbot-console-dummy")
	if err != nil {
		panic(err)
	}
	return h
})

// CheckPasswordRules says what is wrong with a new password; nil when it
// may be used. Any characters count: a Chinese passphrase is welcome.
func CheckPasswordRules(password string) error {
	switch {
	case !utf8.ValidString(password):
		return errors.New("the password is not valid UTF-8")
	case utf8.RuneCountInString(password) < MinPasswordChars:
		return fmt.Errorf("the password needs at least %d characters", MinPasswordChars)
	case len(password) > MaxPasswordBytes:
		return fmt.Errorf("the password is longer than %d bytes", MaxPasswordBytes)
	}
	return nil
}

// mayUseConsole reports whether a caller may sign in: staff, secretaries
// and admins.
func mayUseConsole(c bot.Caller) bool {
	return c.Admin || c.Roster != nil && c.Roster.Role != bot.RoleMember
}

// SetPassword sets the console password of the roster entry with the
// 工号/学号 number (branchbot console passwd): the entry must be on the
// roster with a staff, secretary or admin role. The entry's sessions end.
func SetPassword(ctx context.Context, e *bot.Engine, db Store, number, password string, now time.Time) (bot.RosterEntry, error) {
	entry, err := db.RosterByNumber(ctx, strings.TrimSpace(number))
	if errors.Is(err, bot.ErrNotFound) {
		return entry, fmt.Errorf("no roster entry with number %q", number)
	}
	if err != nil {
		return entry, err
	}
	c, err := e.CallerOfRoster(ctx, entry.ID)
	if err != nil {
		return entry, fmt.Errorf("roster entry %s: %w", number, err)
	}
	if !mayUseConsole(c) {
		return entry, fmt.Errorf("%s (%s) is a %s on the roster: only staff, secretaries and admins can sign in to the console", entry.Name, number, entry.Role)
	}
	if err := CheckPasswordRules(password); err != nil {
		return entry, err
	}
	h, err := HashPassword(password)
	if err != nil {
		return entry, err
	}
	if err := db.SetConsolePassword(ctx, entry.ID, h, now); err != nil {
		return entry, err
	}
	return entry, nil
}
