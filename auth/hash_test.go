package auth

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/authwire/authwire/internal/testbin"
)

// hashVectorPasswords are the plaintexts of the users in
// testdata/htpasswd/*.htpasswd; see the README there.
var hashVectorPasswords = map[string]string{
	"alice": "pa:ss wörd",
	"bob":   "correct horse battery staple",
	"carol": "",
	"dave":  "x",
	"erin":  strings.Repeat("a", 80),
	"frank": " leading and trailing spaces ",
}

// hashVectorFiles are the vector files whose every entry must verify.
var hashVectorFiles = []string{
	"bcrypt.htpasswd", "bcrypt-ab.htpasswd", "apr1.htpasswd", "apr1-openssl.htpasswd",
	"sha.htpasswd", "argon2id.htpasswd",
}

type hashVector struct{ file, user, hash string }

// readHashVectors returns the entries of one file in testdata/htpasswd.
func readHashVectors(t testing.TB, name string) []hashVector {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "htpasswd", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []hashVector
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if user, hash, ok := strings.Cut(sc.Text(), ":"); ok {
			out = append(out, hashVector{name, user, hash})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no entries", name)
	}
	return out
}

func allHashVectors(t testing.TB) []hashVector {
	var all []hashVector
	for _, name := range hashVectorFiles {
		all = append(all, readHashVectors(t, name)...)
	}
	return all
}

func mustParseHash(t testing.TB, s string) storedPassword {
	t.Helper()
	p, err := parseStoredHash(s)
	if err != nil {
		t.Fatalf("parseStoredHash(%q): %v", s, err)
	}
	return p
}

// hashWrongPassword returns a password close to, but not, pw: its first
// byte changed (a change past byte 72 would not count for bcrypt).
func hashWrongPassword(pw string) string {
	if pw == "" {
		return " "
	}
	return string(pw[0]^1) + pw[1:]
}

func TestStoredHashVectorsVerify(t *testing.T) {
	for _, v := range allHashVectors(t) {
		t.Run(v.file+"/"+v.user, func(t *testing.T) {
			pw, ok := hashVectorPasswords[v.user]
			if !ok {
				t.Fatalf("no password for %s", v.user)
			}
			p := mustParseHash(t, v.hash)
			if !p.verify([]byte(pw)) {
				t.Error("right password rejected")
			}
			if p.verify([]byte(hashWrongPassword(pw))) {
				t.Error("wrong password accepted")
			}
			if p.verify([]byte(pw + "x")) {
				if _, isBcrypt := p.(bcryptPassword); !isBcrypt || len(pw) < 72 {
					t.Error("password with a byte appended accepted")
				}
			}
		})
	}
}

// bcrypt, like htpasswd, uses the first 72 bytes only; other formats use
// all of them.
func TestStoredHashLongPassword(t *testing.T) {
	long := hashVectorPasswords["erin"]
	for _, v := range allHashVectors(t) {
		if v.user != "erin" {
			continue
		}
		p := mustParseHash(t, v.hash)
		_, isBcrypt := p.(bcryptPassword)
		if got := p.verify([]byte(long[:72])); got != isBcrypt {
			t.Errorf("%s: 72-byte prefix verified=%v, want %v", v.file, got, isBcrypt)
		}
	}
}

func TestStoredHashBcryptPrefixes(t *testing.T) {
	for _, v := range readHashVectors(t, "bcrypt.htpasswd") {
		for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
			h := prefix + v.hash[4:]
			p := mustParseHash(t, h)
			if !p.verify([]byte(hashVectorPasswords[v.user])) {
				t.Errorf("%s as %s: right password rejected", v.user, prefix)
			}
		}
	}
}

func TestStoredHashArgon2idPaddedBase64(t *testing.T) {
	for _, v := range readHashVectors(t, "argon2id.htpasswd") {
		parts := strings.Split(v.hash, "$")
		for i := 4; i <= 5; i++ {
			for len(parts[i])%4 != 0 {
				parts[i] += "="
			}
		}
		p := mustParseHash(t, strings.Join(parts, "$"))
		if !p.verify([]byte(hashVectorPasswords[v.user])) {
			t.Errorf("%s padded: right password rejected", v.user)
		}
	}
}

func TestStoredHashKinds(t *testing.T) {
	for _, v := range allHashVectors(t) {
		p := mustParseHash(t, v.hash)
		if exp := !strings.HasPrefix(v.hash, "{SHA}"); p.expensive() != exp {
			t.Errorf("%s %s: expensive()=%v, want %v", v.file, v.user, p.expensive(), exp)
		}
		if p.work() <= 0 {
			t.Errorf("%s %s: work()=%d", v.file, v.user, p.work())
		}
	}
}

func TestStoredHashDummy(t *testing.T) {
	for _, v := range allHashVectors(t) {
		p := mustParseHash(t, v.hash)
		d, err := p.dummy()
		if err != nil {
			t.Fatalf("%s %s: %v", v.file, v.user, err)
		}
		if d.verify([]byte(hashVectorPasswords[v.user])) {
			t.Errorf("%s %s: dummy verifies the original password", v.file, v.user)
		}
		if d.work() != p.work() || d.expensive() != p.expensive() {
			t.Errorf("%s %s: dummy work %d/%v, original %d/%v", v.file, v.user,
				d.work(), d.expensive(), p.work(), p.expensive())
		}
		if d2, _ := p.dummy(); d2 != nil && hashSameValue(d, d2) {
			t.Errorf("%s %s: two dummies are equal", v.file, v.user)
		}
	}
}

// hashSameValue compares two stored passwords by their content.
func hashSameValue(a, b storedPassword) bool {
	switch a := a.(type) {
	case bcryptPassword:
		return string(a.hash) == string(b.(bcryptPassword).hash)
	case apr1Password:
		return a.digest == b.(apr1Password).digest
	case shaPassword:
		return a == b.(shaPassword)
	case argon2Password:
		return string(a.key) == string(b.(argon2Password).key)
	}
	return false
}

func TestStoredHashWorkOrdering(t *testing.T) {
	plain := newPlainPassword("x").work()
	sha := mustParseHash(t, readHashVectors(t, "sha.htpasswd")[0].hash).work()
	apr1 := mustParseHash(t, readHashVectors(t, "apr1.htpasswd")[0].hash).work()
	bcrypt4 := bcryptPassword{cost: 4}.work()
	bcrypt10 := bcryptPassword{cost: 10}.work()
	argon64M := argon2Password{memory: 64 << 10, time: 1, threads: 4}.work()
	argonSmall := argon2Password{memory: 64, time: 1, threads: 1}.work()
	if bcrypt10 != argon64M {
		t.Errorf("bcrypt cost 10 work %d != argon2id 64 MiB t=1 work %d", bcrypt10, argon64M)
	}
	for _, c := range []struct {
		name       string
		big, small int
		factor     int
	}{
		{"bcrypt10 >> apr1", bcrypt10, apr1, 100},
		{"bcrypt4 > apr1", bcrypt4, apr1, 2},
		{"apr1 >> sha", apr1, sha, 100},
		{"sha >= plain", sha, plain, 1},
		{"argon2id(64 KiB) > sha", argonSmall, sha, 10},
		{"bcrypt cost 12 = 4 * cost 10", bcryptPassword{cost: 12}.work(), bcrypt10, 4},
	} {
		if c.big < c.small*c.factor {
			t.Errorf("%s: %d < %d * %d", c.name, c.big, c.small, c.factor)
		}
	}
	// The bound on accepted work fits a 32-bit int.
	if maxHashWork >= 1<<31 {
		t.Errorf("maxHashWork %d overflows int32", maxHashWork)
	}
}

// hashLeaks reports whether msg contains s after its format prefix, or
// one of its fields (split at '$', ',' and '=') of six or more characters
// that is not a format name.
func hashLeaks(msg, s string) bool {
	for _, prefix := range []string{"{SHA}", "$apr1$", "$argon2id$", "$argon2i$", "$argon2d$"} {
		s = strings.TrimPrefix(s, prefix)
	}
	if len(s) >= 4 && strings.Contains(msg, s) {
		return true
	}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '$' || r == ',' || r == '=' }) {
		if len(f) >= 6 && !strings.HasPrefix(f, "argon2") && strings.Contains(msg, f) {
			return true
		}
	}
	return false
}

const (
	hashSalt22 = "abcdefghijklmnopqrstuv"
	hashHash31 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234"
	hashB64S16 = "c29tZXNhbHQxNmJ5dGVzIQ" // 16 bytes
	hashB64K32 = "YOBRKZwEO6C5/VexHUuFJ73sjmKdUIYvoPa8KQyV8Zk"
)

func TestParseStoredHashMalformed(t *testing.T) {
	cases := map[string]string{
		"empty":              "",
		"plaintext":          "hunter2secret",
		"crypt DES":          "Q/984r.200sXs",
		"md5crypt":           "$1$3Avs2ucc$haRCMtf4l3HYVAJ1Fro670",
		"sha256crypt":        "$5$eMK3SFw8Y7BddF8S$ac1sve510.tmN8NKLb3gQdymmCZU67ZFkjKR9AlyOa2",
		"sha512crypt":        "$6$jgIy7Ol/pxao4.Kg$fAsFNFCssFJDoEUXdkL4W0qI7Q5FCB2JhSKi6xchg4",
		"bcrypt 2x":          "$2x$05$" + hashSalt22 + hashHash31,
		"bcrypt short":       "$2y$05$" + hashSalt22 + hashHash31[:30],
		"bcrypt long":        "$2y$05$" + hashSalt22 + hashHash31 + "A",
		"bcrypt cost 3":      "$2y$03$" + hashSalt22 + hashHash31,
		"bcrypt cost 21":     "$2y$21$" + hashSalt22 + hashHash31,
		"bcrypt cost 31":     "$2y$31$" + hashSalt22 + hashHash31,
		"bcrypt cost x":      "$2y$0x$" + hashSalt22 + hashHash31,
		"bcrypt bad char":    "$2y$05$" + hashSalt22 + hashHash31[:30] + "!",
		"bcrypt no $":        "$2y$05x" + hashSalt22 + hashHash31,
		"sha short":          "{SHA}cRQ3iPZN/cUFUyAxdC91S5hcXv=",
		"sha bad b64":        "{SHA}cRQ3iPZN/cUFUyAxdC91S5hc!vA=",
		"sha non-canonical":  "{SHA}cRQ3iPZN/cUFUyAxdC91S5hcXvB=",
		"sha empty":          "{SHA}",
		"apr1 no digest":     "$apr1$zMuhWvMD",
		"apr1 empty salt":    "$apr1$$rG3rswG8MxzbElWf.dRNo0",
		"apr1 long salt":     "$apr1$zMuhWvMDx$rG3rswG8MxzbElWf.dRNo0",
		"apr1 salt char":     "$apr1$zMu:WvMD$rG3rswG8MxzbElWf.dRNo0",
		"apr1 short digest":  "$apr1$zMuhWvMD$rG3rswG8MxzbElWf.dRNo",
		"apr1 digest char":   "$apr1$zMuhWvMD$rG3rswG8MxzbElWf.dRN!0",
		"apr1 non-canonical": "$apr1$zMuhWvMD$rG3rswG8MxzbElWf.dRNoz",
		"argon2i":            "$argon2i$v=19$m=64,t=1,p=1$" + hashB64S16 + "$" + hashB64K32,
		"argon2d":            "$argon2d$v=19$m=64,t=1,p=1$" + hashB64S16 + "$" + hashB64K32,
		"argon2id v=16":      "$argon2id$v=16$m=64,t=1,p=1$" + hashB64S16 + "$" + hashB64K32,
		"argon2id no v":      "$argon2id$m=64,t=1,p=1$" + hashB64S16 + "$" + hashB64K32,
		"argon2id order":     "$argon2id$v=19$t=1,m=64,p=1$" + hashB64S16 + "$" + hashB64K32,
		"argon2id extra":     "$argon2id$v=19$m=64,t=1,p=1,data=eA$" + hashB64S16 + "$" + hashB64K32,
		"argon2id no key":    "$argon2id$v=19$m=64,t=1,p=1$" + hashB64S16,
		"argon2id extra $":   "$argon2id$v=19$m=64,t=1,p=1$" + hashB64S16 + "$" + hashB64K32 + "$",
		"argon2id m huge":    "$argon2id$v=19$m=4294967295,t=1,p=1$" + hashB64S16 + "$" + hashB64K32,
		"argon2id m > 4GiB":  "$argon2id$v=19$m=4194305,t=1,p=1$" + hashB64S16 + "$" + hashB64K32,
		"argon2id m > 2^32":  "$argon2id$v=19$m=99999999999,t=1,p=1$" + hashB64S16 + "$" + hashB64K32,
		"argon2id m < 8p":    "$argon2id$v=19$m=31,t=1,p=4$" + hashB64S16 + "$" + hashB64K32,
		"argon2id t=0":       "$argon2id$v=19$m=64,t=0,p=1$" + hashB64S16 + "$" + hashB64K32,
		"argon2id t huge":    "$argon2id$v=19$m=4194304,t=4294967295,p=1$" + hashB64S16 + "$" + hashB64K32,
		"argon2id m*t":       "$argon2id$v=19$m=4194304,t=17,p=1$" + hashB64S16 + "$" + hashB64K32,
		"argon2id p=0":       "$argon2id$v=19$m=64,t=1,p=0$" + hashB64S16 + "$" + hashB64K32,
		"argon2id p=256":     "$argon2id$v=19$m=4096,t=1,p=256$" + hashB64S16 + "$" + hashB64K32,
		"argon2id p sign":    "$argon2id$v=19$m=64,t=1,p=+1$" + hashB64S16 + "$" + hashB64K32,
		"argon2id lead 0":    "$argon2id$v=19$m=064,t=1,p=1$" + hashB64S16 + "$" + hashB64K32,
		"argon2id empty m":   "$argon2id$v=19$m=,t=1,p=1$" + hashB64S16 + "$" + hashB64K32,
		"argon2id salt 7":    "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbA$" + hashB64K32,
		"argon2id salt big":  "$argon2id$v=19$m=64,t=1,p=1$" + strings.Repeat("QUFB", 342) + "$" + hashB64K32,
		"argon2id key 3":     "$argon2id$v=19$m=64,t=1,p=1$" + hashB64S16 + "$a2V5",
		"argon2id salt b64":  "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQx!mJ5dGVzIQ$" + hashB64K32,
		"argon2id key b64":   "$argon2id$v=19$m=64,t=1,p=1$" + hashB64S16 + "$YOBRKZwEO6C5_VexHUuFJ73sjmKdUIYvoPa8KQyV8Zk",
		"argon2id bad bits":  "$argon2id$v=19$m=64,t=1,p=1$" + hashB64S16 + "$YOBRKZwEO6C5/VexHUuFJ73sjmKdUIYvoPa8KQyV8Zl",
		"leading space":      " $2y$05$" + hashSalt22 + hashHash31,
		"trailing newline":   "{SHA}cRQ3iPZN/cUFUyAxdC91S5hcXvA=\n",
		"sha inner CR":       "{SHA}cRQ3iPZN/cUFUyAx\rdC91S5hcXvA=",
		"argon2id key LF":    "$argon2id$v=19$m=64,t=1,p=1$" + hashB64S16 + "$YOBRKZwEO6C5/VexHUuFJ7\n3sjmKdUIYvoPa8KQyV8Zk",
		"argon2id salt CR":   "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQx\rNmJ5dGVzIQ$" + hashB64K32,
	}
	for _, v := range readHashVectors(t, "unsupported.htpasswd") {
		cases["unsupported.htpasswd "+v.user] = v.hash
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := parseStoredHash(s)
			if err == nil {
				t.Fatalf("accepted (work %d)", p.work())
			}
			if p != nil {
				t.Errorf("non-nil value with error")
			}
			if !errors.Is(err, ErrMalformedHash) {
				t.Errorf("error %v does not wrap ErrMalformedHash", err)
			}
			if hashLeaks(err.Error(), s) {
				t.Errorf("error %q shows hash material", err)
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	t.Parallel()
	pw := "pa:ss wörd"
	// One run at the real cost, checked by format and by Apache's tool; the
	// round trips below use cost 4 to stay fast under -race.
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$2y\$12\$[./A-Za-z0-9]{53}$`).MatchString(h) {
		t.Fatalf("HashPassword = %q, want $2y$12$ and 53 characters", h)
	}
	if p := mustParseHash(t, h); p.work() != bcryptWorkPerRound<<12 {
		t.Errorf("work() = %d, want cost 12", p.work())
	}
	hashCheckWithHtpasswd(t, h, pw)

	h, err = hashPasswordBcrypt(pw, 4)
	if err != nil {
		t.Fatal(err)
	}
	p := mustParseHash(t, h)
	if !strings.HasPrefix(h, "$2y$04$") || !p.verify([]byte(pw)) || p.verify([]byte("pa:ss word")) {
		t.Errorf("round trip of %q failed", h)
	}
	if h2, _ := hashPasswordBcrypt(pw, 4); h2 == h {
		t.Error("two hashes of one password are equal: salt not random")
	}
	if _, err := HashPassword(""); err == nil {
		t.Error("empty password accepted")
	}
	if _, err := HashPassword(strings.Repeat("é", 37)); err == nil || !strings.Contains(err.Error(), "72 bytes") {
		t.Errorf("74-byte password: err = %v, want one naming the 72-byte limit", err)
	}
	if _, err := hashPasswordBcrypt(strings.Repeat("a", 72), 4); err != nil {
		t.Errorf("72-byte password: %v", err)
	}
}

// hashCheckWithHtpasswd asks Apache's htpasswd -vb whether hash matches pw
// and not a wrong password. Without htpasswd the check is skipped, except
// under CI, where the tool must be installed.
func hashCheckWithHtpasswd(t *testing.T, hash, pw string) {
	t.Helper()
	tool := testbin.Find(t, "apache2-utils", "htpasswd")
	file := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(file, []byte("alice:"+hash+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "-vb", file, "alice", pw).CombinedOutput(); err != nil {
		t.Errorf("htpasswd -vb rejects our hash: %v: %s", err, out)
	}
	if out, err := exec.Command(tool, "-vb", file, "alice", pw+"!").CombinedOutput(); err == nil {
		t.Errorf("htpasswd -vb accepts a wrong password: %s", out)
	}
}

func TestHashPasswordArgon2id(t *testing.T) {
	t.Parallel()
	pw := "pa:ss wörd"
	h, err := HashPasswordArgon2id(pw)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(h) {
		t.Fatalf("HashPasswordArgon2id = %q", h)
	}
	p := mustParseHash(t, h)
	if !p.verify([]byte(pw)) || p.verify([]byte("pa:ss word")) {
		t.Error("round trip failed")
	}
	if got := p.(argon2Password).String(); got != h {
		t.Errorf("String() = %q, want %q", got, h)
	}
	if _, err := HashPasswordArgon2id(""); err == nil {
		t.Error("empty password accepted")
	}
}

// FuzzParseStoredHash checks that no input panics, that accepted values
// have positive work, and that errors never echo the input: a canary put
// into the input must not appear in the error.
func FuzzParseStoredHash(f *testing.F) {
	for _, v := range allHashVectors(f) {
		f.Add(v.hash)
	}
	for _, v := range readHashVectors(f, "unsupported.htpasswd") {
		f.Add(v.hash)
	}
	f.Add("$argon2id$v=19$m=4194304,t=16,p=255$" + hashB64S16 + "$" + hashB64K32)
	f.Add("$apr1$x$tMwYqBfQwi3FYAr0aJc8M/")
	f.Add("{SHA}00000000000000000") // + canary: 28 characters decoding to 21 bytes
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseStoredHash(s)
		if err != nil {
			if p != nil || !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("(%v, %v)", p, err)
			}
		} else {
			if p.work() <= 0 || p.work() > maxHashWork {
				t.Fatalf("work() = %d", p.work())
			}
			if p.work() <= 50000 { // cheap enough to run here
				p.verify([]byte(s))
			}
		}
		const canary = "QzCanary7Zq"
		for _, in := range []string{s + canary, s[:len(s)/2] + canary + s[len(s)/2:]} {
			if _, err := parseStoredHash(in); err != nil && strings.Contains(err.Error(), canary) {
				t.Fatalf("error echoes input: %v", err)
			}
		}
	})
}
