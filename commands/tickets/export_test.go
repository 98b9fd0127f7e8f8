package tickets

import "log/slog"

// SetLogger replaces the feature's logger (the log test reads what it writes).
func SetLogger(f *Feature, l *slog.Logger) { f.log = l }
