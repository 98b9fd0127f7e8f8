package assist

import "context"

// Reserve counts one request against today's budget, as every model call
// does first (for the concurrency test).
func Reserve(ctx context.Context, a *Assistant) (bool, error) { return a.reserve(ctx, a.day()) }
