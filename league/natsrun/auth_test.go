package natsrun

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// TestAuthentication: a server that wants credentials lets in a worker
// that has them and keeps out one that does not; the one let in runs jobs.
func TestAuthentication(t *testing.T) {
	dir := t.TempDir()
	caFile, serverTLS := testCertificates(t, dir)
	otherCA, _ := testCertificates(t, t.TempDir())
	seedFile, nkeyUser := testNkey(t, dir)
	credsFile, operator, resolver, sysAccount := testJWT(t, dir)

	for _, tc := range []struct {
		name   string
		server func(*server.Options)
		good   Dial // must get in and run a job
		bad    Dial // must be kept out
		want   string
	}{
		{"user and password", func(o *server.Options) { o.Username, o.Password = "alice", "s3cret" },
			Dial{URL: "nats://alice:s3cret@HOST"}, Dial{URL: "nats://alice:wrong@HOST"}, "authorization violation"},
		{"token", func(o *server.Options) { o.Authorization = "t0ken" },
			Dial{URL: "nats://t0ken@HOST"}, Dial{URL: "nats://HOST"}, "authorization violation"},
		{"nkey seed", func(o *server.Options) { o.Nkeys = []*server.NkeyUser{{Nkey: nkeyUser}} },
			Dial{URL: "nats://HOST", Creds: seedFile}, Dial{URL: "nats://HOST"}, "authorization violation"},
		{"JWT credentials", func(o *server.Options) {
			o.TrustedOperators = []*jwt.OperatorClaims{operator}
			o.AccountResolver = resolver
			o.SystemAccount = sysAccount
		}, Dial{URL: "nats://HOST", Creds: credsFile}, Dial{URL: "nats://HOST"}, "authorization violation"},
		{"TLS", func(o *server.Options) { o.TLSConfig = serverTLS; o.TLS = true },
			Dial{URL: "nats+tls://HOST", TLSCA: caFile}, Dial{URL: "nats+tls://HOST", TLSCA: otherCA}, "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, t.TempDir(), tc.server)
			host := srv.Addr().String()
			bad := tc.bad
			bad.URL = strings.Replace(bad.URL, "HOST", host, 1)
			if nc, err := Connect(bad); err == nil {
				nc.Close()
				t.Fatalf("%s got in", bad.URL)
			} else if !strings.Contains(strings.ToLower(err.Error()), tc.want) {
				t.Errorf("refusal %q does not say %q", err, tc.want)
			} else if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), "t0ken") {
				t.Errorf("the refusal shows the secret: %v", err)
			}
			good := tc.good
			good.URL = strings.Replace(good.URL, "HOST", host, 1)
			dial := func() *Dial { d := good; return &d }
			s := testSettings(false)
			wnc, err := Connect(*dial())
			if err != nil {
				t.Fatal(err)
			}
			defer wnc.Close()
			w := &Worker{Conn: wnc, Settings: s, Name: "w"}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go w.Serve(ctx)
			snc, err := Connect(*dial())
			if err != nil {
				t.Fatal(err)
			}
			defer snc.Close()
			b := echoBatch(runTag(t), 2, 0)
			res, err := (&Runner{Conn: snc, Settings: s}).Run(ctx, b, nil)
			if err != nil || len(res) != 2 {
				t.Fatalf("%d results, %v", len(res), err)
			}
		})
	}
}

// testCertificates writes a CA certificate (ca.pem) to dir and returns its
// path with a server TLS configuration for 127.0.0.1 signed by it.
func testCertificates(t *testing.T, dir string) (string, *tls.Config) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mrasim test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return caFile, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}

// testNkey writes a user NKEY seed file and returns it with the public key.
func testNkey(t *testing.T, dir string) (string, string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	pub, _ := kp.PublicKey()
	path := filepath.Join(dir, "user.nk")
	if err := os.WriteFile(path, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, pub
}

// testJWT builds an operator, a system account and a JetStream-enabled
// account with one user, and writes the user's credentials file.
func testJWT(t *testing.T, dir string) (creds string, operator *jwt.OperatorClaims, resolver *server.MemAccResolver, sys string) {
	t.Helper()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	okp, _ := nkeys.CreateOperator()
	opub, _ := okp.PublicKey()
	operator = jwt.NewOperatorClaims(opub)
	resolver = &server.MemAccResolver{}
	account := func(js bool) (nkeys.KeyPair, string) {
		akp, _ := nkeys.CreateAccount()
		apub, _ := akp.PublicKey()
		ac := jwt.NewAccountClaims(apub)
		if js {
			ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
		}
		ajwt, err := ac.Encode(okp)
		must(err)
		must(resolver.Store(apub, ajwt))
		return akp, apub
	}
	_, sys = account(false)
	operator.SystemAccount = sys
	akp, _ := account(true)
	ukp, _ := nkeys.CreateUser()
	upub, _ := ukp.PublicKey()
	useed, _ := ukp.Seed()
	ujwt, err := jwt.NewUserClaims(upub).Encode(akp)
	must(err)
	data, err := jwt.FormatUserConfig(ujwt, useed)
	must(err)
	creds = filepath.Join(dir, "user.creds")
	must(os.WriteFile(creds, data, 0o600))
	return creds, operator, resolver, sys
}

// TestRedact: every credential of every URL is hidden.
func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://t0ken@127.0.0.1:4222", "nats://***@127.0.0.1:4222"},
		{"tls://user:pa55@h:4222", "tls://***@h:4222"},
		{"nats://a:b@h1:1, nats://tok@h2:2,nats://h3:3", "nats://***@h1:1,nats://***@h2:2,nats://h3:3"},
		{"nats://user:p%zz@h:1", "(an unparsable URL)"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
