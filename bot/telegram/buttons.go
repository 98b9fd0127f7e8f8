package telegram

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/branchbot/branchbot/bot"
)

// maxCallbackData is Telegram's limit for a button's callback_data, in bytes.
const maxCallbackData = 64

// tokenPrefix marks callback_data that is a token for longer data. Data that
// itself starts with it is always stored, so the two never mix.
const tokenPrefix = "~"

// ButtonStore keeps button data under tokens. storage.DB implements it.
type ButtonStore interface {
	SaveButtonData(ctx context.Context, token, data string, now time.Time) error
	// ButtonData returns bot.ErrNotFound for an unknown token.
	ButtonData(ctx context.Context, token string) (string, error)
}

// buttonData is what goes into callback_data for data: the data itself
// when it fits, else a token derived from it (the same data always gets the
// same token) after storing the data.
func (p *Platform) buttonData(ctx context.Context, data string) (string, error) {
	if data != "" && len(data) <= maxCallbackData && !strings.HasPrefix(data, tokenPrefix) {
		return data, nil
	}
	sum := sha256.Sum256([]byte(data))
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(sum[:18])
	if err := p.buttons.SaveButtonData(ctx, token, data, p.o.Now()); err != nil {
		return "", fmt.Errorf("store button data: %w", err)
	}
	return token, nil
}

// resolveButton turns callback_data back into the button's command line.
func (p *Platform) resolveButton(ctx context.Context, data string) (string, error) {
	if !strings.HasPrefix(data, tokenPrefix) {
		return data, nil
	}
	return p.buttons.ButtonData(ctx, data)
}

// memButtons is the ButtonStore used when none is given: tokens last as long
// as the process.
type memButtons struct {
	mu sync.Mutex
	m  map[string]string
}

func newMemButtons() *memButtons { return &memButtons{m: map[string]string{}} }

func (s *memButtons) SaveButtonData(_ context.Context, token, data string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[token]; !ok {
		s.m[token] = data
	}
	return nil
}

func (s *memButtons) ButtonData(_ context.Context, token string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.m[token]
	if !ok {
		return "", bot.ErrNotFound
	}
	return d, nil
}
