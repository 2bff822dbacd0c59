package auth

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// ErrMalformedHash is wrapped by every error about a stored password hash
// that is not in a supported format or has out-of-range parameters. The
// error text names the format and the problem but never contains the hash
// or any part of it, so that it is safe to log.
var ErrMalformedHash = errors.New("auth: malformed password hash")

// Work units. One unit is about one SHA-256 of a short password (what
// plainPassword.verify costs, about 0.2µs). The per-format factors below were
// measured with x/crypto on one core and rounded so that bcrypt cost 10 and
// argon2id m=64 MiB, t=1 come out equal (about 60 ms, 300 << 10 units).
const (
	// bcryptWorkPerRound is the cost of one of bcrypt's 2^cost key
	// expansion rounds: a hash of cost c is worth bcryptWorkPerRound << c.
	bcryptWorkPerRound = 300
	// argon2WorkPer64KiB is the cost of filling 64 KiB of argon2 memory
	// once: a hash with m KiB and t passes is worth m*t/64 of these.
	argon2WorkPer64KiB = 300
	// apr1Work counts APR1's 1000 MD5 rounds as one unit each.
	apr1Work = apr1Rounds
	// shaWork is one SHA-1 digest and a compare: about plainPassword.
	shaWork = 2
	// maxHashWork bounds what parseStoredHash accepts: about a minute of
	// one CPU per verify (bcrypt cost 20). Anything dearer is treated as
	// malformed, so that a corrupt or hostile password file cannot stall
	// every login, or the dummy built when the file is loaded, for hours.
	maxHashWork = bcryptWorkPerRound << bcryptMaxCost
)

// Format parameters and limits.
const (
	bcryptHashLen       = 60 // "$2y$" + "cc" + "$" + 22 salt + 31 hash characters
	bcryptMinCost       = bcrypt.MinCost
	bcryptMaxCost       = 20     // ~1 minute per verify; htpasswd -C allows up to 17
	hashBcryptCost      = 12     // what HashPassword uses
	bcryptPrefixWritten = "$2a$" // what golang.org/x/crypto/bcrypt writes

	shaPrefix = "{SHA}"

	argon2idPrefix  = "$argon2id$"
	argon2Version   = argon2.Version // 0x13 = 19, the only one x/crypto implements
	argon2MaxMemory = 4 << 20        // largest m accepted, in KiB: 4 GiB
	argon2MinSalt   = 8              // as the reference implementation
	argon2MaxSalt   = 1024
	argon2MinKey    = 4 // as the reference implementation
	argon2MaxKey    = 1024
)

var (
	errEmptyPassword   = errors.New("auth: cannot hash an empty password")
	errPasswordTooLong = errors.New("auth: password longer than 72 bytes; bcrypt would ignore the rest (use HashPasswordArgon2id)")
	errBase64          = errors.New("bad base64") // from decodeBase64; never shown
)

// parseStoredHash parses one hashed password in any format an Apache
// htpasswd file can hold and this package supports:
//
//   - bcrypt: "$2y$", "$2b$" or "$2a$", two-digit cost 4 to 20, 53 more
//     characters (htpasswd -B);
//   - "{SHA}" and the standard base64 of the SHA-1 digest (htpasswd -s);
//   - "$apr1$", Apache's MD5-crypt (htpasswd -m, the default);
//   - argon2id PHC strings "$argon2id$v=19$m=…,t=…,p=…$salt$hash", as
//     written by the reference argon2 tool and libraries.
//
// Everything else, including crypt DES, "$1$", "$5$", "$6$", argon2i/d and
// plaintext, is an error wrapping ErrMalformedHash. Error texts never
// contain s.
func parseStoredHash(s string) (storedPassword, error) {
	switch {
	case s == "":
		return nil, malformed("empty hash")
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		return parseBcrypt(s)
	case strings.HasPrefix(s, shaPrefix):
		return parseSHA(s)
	case strings.HasPrefix(s, apr1Magic):
		return parseAPR1(s)
	case strings.HasPrefix(s, argon2idPrefix):
		return parseArgon2id(s)
	}
	for _, u := range unsupportedHashes {
		if strings.HasPrefix(s, u.prefix) {
			return nil, malformed(u.name + " is not supported")
		}
	}
	return nil, malformed("unrecognised format")
}

// unsupportedHashes names formats that appear in password files but are
// not supported, so the error can say which one it saw.
var unsupportedHashes = [...]struct{ prefix, name string }{
	{"$2x$", "bcrypt $2x$ (crypt_blowfish bug-compatible)"},
	{"$2$", "bcrypt $2$ (original)"},
	{"$1$", "MD5-crypt $1$"},
	{"$5$", "SHA-256-crypt $5$"},
	{"$6$", "SHA-512-crypt $6$"},
	{"$y$", "yescrypt $y$"},
	{"$7$", "scrypt $7$"},
	{"$argon2i$", "argon2i"},
	{"$argon2d$", "argon2d"},
}

// malformed returns an error wrapping ErrMalformedHash with a fixed reason.
// Callers must pass only constant text, never input.
func malformed(reason string) error {
	return fmt.Errorf("%w: %s", ErrMalformedHash, reason)
}

// --- bcrypt ---

// bcryptPassword is a bcrypt hash, kept in its textual form for x/crypto.
type bcryptPassword struct {
	hash []byte
	cost int
}

func parseBcrypt(s string) (storedPassword, error) {
	if len(s) != bcryptHashLen || s[6] != '$' {
		return nil, malformed("bcrypt hash is not 60 characters in $2y$cc$ form")
	}
	if s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' {
		return nil, malformed("bcrypt cost is not two digits")
	}
	cost := int(s[4]-'0')*10 + int(s[5]-'0')
	if cost < bcryptMinCost || cost > bcryptMaxCost {
		return nil, malformed(fmt.Sprintf("bcrypt cost outside %d..%d", bcryptMinCost, bcryptMaxCost))
	}
	for i := 7; i < len(s); i++ {
		if cryptIndex(s[i]) < 0 {
			return nil, malformed("bcrypt salt or hash has a character outside its alphabet")
		}
	}
	return bcryptPassword{hash: []byte(s), cost: cost}, nil
}

// verify runs bcrypt at the stored cost. Like every bcrypt, it uses only
// the first 72 bytes of password; htpasswd does the same.
func (p bcryptPassword) verify(password []byte) bool {
	return bcrypt.CompareHashAndPassword(p.hash, password) == nil
}

func (p bcryptPassword) work() int     { return bcryptWorkPerRound << p.cost }
func (bcryptPassword) expensive() bool { return true }
func (p bcryptPassword) dummy() (storedPassword, error) {
	var secret [32]byte
	if err := randomBytes(secret[:]); err != nil {
		return nil, err
	}
	h, err := bcrypt.GenerateFromPassword(secret[:], p.cost)
	if err != nil {
		return nil, err
	}
	return bcryptPassword{hash: h, cost: p.cost}, nil
}

// --- {SHA} ---

// shaPassword is htpasswd's unsalted "{SHA}" format: one SHA-1 digest.
type shaPassword struct {
	digest [sha1.Size]byte
}

func parseSHA(s string) (storedPassword, error) {
	d, err := decodeBase64(base64.StdEncoding, s[len(shaPrefix):])
	if err != nil || len(d) != sha1.Size {
		return nil, malformed("{SHA} digest is not padded base64 of 20 bytes")
	}
	return shaPassword{digest: [sha1.Size]byte(d)}, nil
}

func (p shaPassword) verify(password []byte) bool {
	d := sha1.Sum(password)
	return subtle.ConstantTimeCompare(d[:], p.digest[:]) == 1
}

func (shaPassword) work() int       { return shaWork }
func (shaPassword) expensive() bool { return false }
func (shaPassword) dummy() (storedPassword, error) {
	var p shaPassword
	if err := randomBytes(p.digest[:]); err != nil {
		return nil, err
	}
	return p, nil
}

// --- $apr1$ ---

// apr1Password is an Apache MD5-crypt hash; see apr1.go.
type apr1Password struct {
	salt   []byte
	digest [16]byte
}

func parseAPR1(s string) (storedPassword, error) {
	rest := s[len(apr1Magic):]
	salt, enc, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, malformed("$apr1$ hash has no '$' after the salt")
	}
	if len(salt) == 0 || len(salt) > apr1MaxSalt {
		return nil, malformed("$apr1$ salt is not 1 to 8 characters")
	}
	for i := range len(salt) {
		if cryptIndex(salt[i]) < 0 {
			return nil, malformed("$apr1$ salt has a character outside the crypt alphabet")
		}
	}
	d, err := apr1Decode(enc)
	if err != nil {
		return nil, malformed(err.Error())
	}
	return apr1Password{salt: []byte(salt), digest: d}, nil
}

func (p apr1Password) verify(password []byte) bool {
	d := apr1Sum(password, p.salt)
	return subtle.ConstantTimeCompare(d[:], p.digest[:]) == 1
}

func (apr1Password) work() int       { return apr1Work }
func (apr1Password) expensive() bool { return true }

// dummy draws a fresh 8-character salt and a random digest: verifying
// against it costs a full APR1 computation and matches nothing.
func (apr1Password) dummy() (storedPassword, error) {
	var p apr1Password
	var raw [apr1MaxSalt]byte
	if err := randomBytes(raw[:]); err != nil {
		return nil, err
	}
	p.salt = make([]byte, apr1MaxSalt)
	for i, b := range raw {
		p.salt[i] = cryptAlphabet[b&0x3f]
	}
	if err := randomBytes(p.digest[:]); err != nil {
		return nil, err
	}
	return p, nil
}

// --- hashing new passwords ---

// HashPassword hashes password with bcrypt at cost 12 and returns it in the
// "$2y$12$…" form that Apache's htpasswd -B writes, so the result can be
// used as the value after "user:" in an htpasswd file, or passed to this
// package wherever a hashed password is accepted. ("$2y$" and the "$2a$"
// that golang.org/x/crypto writes are the same algorithm; Apache and most
// other tools accept both.) A new random salt is drawn for every call.
//
// bcrypt uses only the first 72 bytes of a password, so HashPassword
// returns an error for a longer password rather than silently weakening
// it; it also refuses an empty password.
func HashPassword(password string) (string, error) {
	return hashPasswordBcrypt(password, hashBcryptCost)
}

// hashPasswordBcrypt is HashPassword at a chosen cost (tests use a low one).
func hashPasswordBcrypt(password string, cost int) (string, error) {
	if password == "" {
		return "", errEmptyPassword
	}
	if len(password) > 72 {
		return "", errPasswordTooLong
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("auth: bcrypt: %w", err)
	}
	s := string(h)
	if strings.HasPrefix(s, bcryptPrefixWritten) {
		s = "$2y$" + s[len(bcryptPrefixWritten):]
	}
	return s, nil
}

// HashPasswordArgon2id hashes password with argon2id using the second
// recommended parameter set of RFC 9106 (§4): t=3 passes over m=64 MiB
// with p=4 lanes, a 16-byte random salt and a 32-byte key. The result is
// the PHC string the reference implementation writes,
//
//	$argon2id$v=19$m=65536,t=3,p=4$<salt>$<key>
//
// with salt and key in unpadded standard base64. htpasswd cannot make this
// format, but the value can be put after "user:" in an htpasswd file read
// by this package (Apache itself does not accept it). Each verify takes
// about 0.1 s of CPU and 64 MiB of memory. It refuses an empty password.
func HashPasswordArgon2id(password string) (string, error) {
	if password == "" {
		return "", errEmptyPassword
	}
	p := argon2Password{time: 3, memory: 64 * 1024, threads: 4, salt: make([]byte, 16)}
	if err := randomBytes(p.salt); err != nil {
		return "", fmt.Errorf("auth: argon2id salt: %w", err)
	}
	p.key = argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, 32)
	return p.String(), nil
}

// --- argon2id ---

// argon2Password is an argon2id hash with its parameters.
type argon2Password struct {
	time      uint32 // t, passes over memory
	memory    uint32 // m, KiB
	threads   uint8  // p, lanes
	salt, key []byte
}

// parseArgon2id parses "$argon2id$v=19$m=M,t=T,p=P$salt$key". Parameters
// must appear in that order as plain decimals; salt and key may be
// unpadded (as written by the reference tool) or padded standard base64.
// Limits keep a hostile file from making verify allocate or compute without
// bound: 8p <= m <= 4 GiB, t >= 1, 1 <= p <= 255, total work at most
// maxHashWork, salt 8 to 1024 and key 4 to 1024 bytes.
func parseArgon2id(s string) (storedPassword, error) {
	parts := strings.Split(s[len(argon2idPrefix):], "$")
	if len(parts) != 4 {
		return nil, malformed("argon2id hash is not $argon2id$v=19$m=,t=,p=$salt$key")
	}
	if parts[0] != fmt.Sprintf("v=%d", argon2Version) {
		return nil, malformed("argon2id version is not v=19")
	}
	params := strings.Split(parts[1], ",")
	if len(params) != 3 {
		return nil, malformed("argon2id parameters are not m=<n>,t=<n>,p=<n>")
	}
	m, okM := cutDecimal(params[0], "m=")
	t, okT := cutDecimal(params[1], "t=")
	p, okP := cutDecimal(params[2], "p=")
	if !okM || !okT || !okP {
		return nil, malformed("argon2id parameters are not m=<n>,t=<n>,p=<n>")
	}
	switch {
	case p < 1 || p > 255:
		return nil, malformed("argon2id p outside 1..255")
	case t < 1:
		return nil, malformed("argon2id t is 0")
	case m < 8*p || m > argon2MaxMemory:
		return nil, malformed("argon2id m outside 8*p KiB..4 GiB")
	case argon2Work(m, t) > maxHashWork:
		return nil, malformed("argon2id m*t is too costly to verify")
	}
	ap := argon2Password{time: uint32(t), memory: uint32(m), threads: uint8(p)}
	var err error
	if ap.salt, err = decodePHCBase64(parts[2]); err != nil || len(ap.salt) < argon2MinSalt || len(ap.salt) > argon2MaxSalt {
		return nil, malformed("argon2id salt is not base64 of 8 to 1024 bytes")
	}
	if ap.key, err = decodePHCBase64(parts[3]); err != nil || len(ap.key) < argon2MinKey || len(ap.key) > argon2MaxKey {
		return nil, malformed("argon2id key is not base64 of 4 to 1024 bytes")
	}
	return ap, nil
}

// cutDecimal parses name followed by an unsigned 32-bit decimal without
// sign or leading zeros, as the PHC format requires.
func cutDecimal(s, name string) (uint64, bool) {
	s, ok := strings.CutPrefix(s, name)
	if !ok || s == "" || (s[0] == '0' && len(s) > 1) || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return n, err == nil
}

// decodePHCBase64 decodes standard base64, unpadded as the PHC format
// specifies or padded as some tools write.
func decodePHCBase64(s string) ([]byte, error) {
	if strings.HasSuffix(s, "=") {
		return decodeBase64(base64.StdEncoding, s)
	}
	return decodeBase64(base64.RawStdEncoding, s)
}

// decodeBase64 decodes s with enc in strict mode, which accepts only the
// canonical encoding, and also rejects the CR and LF that package base64
// skips, so that each value has exactly one spelling.
func decodeBase64(enc *base64.Encoding, s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errBase64
	}
	return enc.Strict().DecodeString(s)
}

// String writes the hash in PHC form, unpadded like the reference tool.
func (p argon2Password) String() string {
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", argon2idPrefix, argon2Version,
		p.memory, p.time, p.threads,
		base64.RawStdEncoding.EncodeToString(p.salt), base64.RawStdEncoding.EncodeToString(p.key))
}

func (p argon2Password) verify(password []byte) bool {
	k := argon2.IDKey(password, p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(k, p.key) == 1
}

func (p argon2Password) work() int { return int(argon2Work(uint64(p.memory), uint64(p.time))) }

// argon2Work is the work of m KiB and t passes, rounded up so it is never
// 0. It does not overflow for m <= argon2MaxMemory and any 32-bit t.
func argon2Work(m, t uint64) uint64 {
	return (m*t*argon2WorkPer64KiB + 63) / 64
}

func (argon2Password) expensive() bool { return true }

// dummy keeps the parameters and lengths and draws a random salt and key:
// verifying against it costs the same and matches nothing.
func (p argon2Password) dummy() (storedPassword, error) {
	d := p
	d.salt, d.key = make([]byte, len(p.salt)), make([]byte, len(p.key))
	if err := randomBytes(d.salt); err != nil {
		return nil, err
	}
	if err := randomBytes(d.key); err != nil {
		return nil, err
	}
	return d, nil
}
