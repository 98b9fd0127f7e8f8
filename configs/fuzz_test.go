package configs

import "testing"

// FuzzParse: any config file is loaded or refused with the key at fault,
// never a panic; what loads passes its own validation again.
func FuzzParse(f *testing.F) {
	f.Add(DefaultYAML())
	f.Add([]byte("bot:\n  name: x\nadmins: [terminal:a]\n"))
	f.Add([]byte("nmae: 1\n"))
	f.Add([]byte("tick: -1s\n"))
	f.Add([]byte("units:\n  - name: a\n    children:\n      - name: a\n"))
	f.Add([]byte("roster:\n  link:\n    preset: [\"terminal:x=T1\", \"bad\"]\n    code_ttl: 1m\n"))
	f.Add([]byte("sla:\n  categories:\n    - {name: x, department: y}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz")
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("a loaded config fails validation: %v", err)
		}
	})
}
