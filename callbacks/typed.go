package callbacks

import (
	"context"
	"encoding/json"
)

// Unary adapts a function with typed args and result to a [Func]. Args
// that do not decode into A are a "bad_request" error; null or absent
// args leave A at its zero value.
//
//	reg.Protected("greet", callbacks.Unary(func(ctx context.Context, a struct{ Name string }) (string, error) {
//		return "hello " + a.Name, nil
//	}))
func Unary[A, R any](fn func(ctx context.Context, args A) (R, error)) Func {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		var a A
		if err := decodeArgs(raw, &a); err != nil {
			return nil, err
		}
		return fn(ctx, a)
	}
}

// Stream adapts a streaming function with typed args and items to a
// [StreamFunc], decoding args as [Unary] does.
func Stream[A, T any](fn func(ctx context.Context, args A, emit func(T) error) error) StreamFunc {
	return func(ctx context.Context, raw json.RawMessage, emit func(any) error) error {
		var a A
		if err := decodeArgs(raw, &a); err != nil {
			return err
		}
		return fn(ctx, a, func(item T) error { return emit(item) })
	}
}

func decodeArgs(raw json.RawMessage, dst any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return NewError(CodeBadRequest, "the args do not fit this callback")
	}
	return nil
}
