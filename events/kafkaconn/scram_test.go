package kafkaconn

import (
	"context"
	"strings"
	"testing"
)

// The SCRAM-SHA-256 exchange of RFC 7677 section 3, byte for byte.
const (
	rfcClientNonce = "rOprNGfwEbeRWgbNEkqO"
	rfcServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
	rfcClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
	rfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
)

func rfcScram() *scram {
	m := newScram(ScramSHA256, "user", "pencil")
	m.nonce = func() string { return rfcClientNonce }
	return m
}

func TestScramRFC7677Vector(t *testing.T) {
	ctx := context.Background()
	sess, first, err := rfcScram().Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(first), "n,,n=user,r="+rfcClientNonce; got != want {
		t.Fatalf("client-first = %q, want %q", got, want)
	}
	done, final, err := sess.Next(ctx, []byte(rfcServerFirst))
	if err != nil || done {
		t.Fatalf("after server-first: done=%v err=%v", done, err)
	}
	if string(final) != rfcClientFinal {
		t.Fatalf("client-final = %q, want %q", final, rfcClientFinal)
	}
	done, resp, err := sess.Next(ctx, []byte(rfcServerFinal))
	if err != nil || !done || resp != nil {
		t.Fatalf("after server-final: done=%v resp=%q err=%v", done, resp, err)
	}
}

func TestScramRefusesWhatItCannotTrust(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name        string
		serverFirst string
		serverFinal string // sent only when serverFirst is accepted
		want        string
	}{
		{"forged server signature", rfcServerFirst, "v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "signature does not match"},
		{"server error", rfcServerFirst, "e=invalid-proof", "the broker refused: invalid-proof"},
		{"nonce not extended", "r=somethingelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "", "nonce does not extend"},
		{"nonce not extended at all", "r=" + rfcClientNonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", "", "nonce does not extend"},
		{"too few iterations", strings.Replace(rfcServerFirst, "i=4096", "i=1", 1), "", "iteration count"},
		{"no salt", strings.Replace(rfcServerFirst, "s=W22ZaJ0SNY7soEsUEjb6gQ==", "s=", 1), "", "salt"},
		{"mandatory extension", rfcServerFirst + ",m=ext", "", "mandatory extension"},
		{"garbage", "hello", "", "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sess, _, err := rfcScram().Start(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = sess.Next(ctx, []byte(tc.serverFirst))
			if err == nil && tc.serverFinal != "" {
				_, _, err = sess.Next(ctx, []byte(tc.serverFinal))
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "pencil") {
				t.Fatalf("error reveals the password: %v", err)
			}
		})
	}
}

func TestScramEscapesUserName(t *testing.T) {
	m := newScram(ScramSHA512, "a=b,c", "pw")
	m.nonce = func() string { return "n0nce" }
	_, first, err := m.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(first), "n,,n=a=3Db=2Cc,r=n0nce"; got != want {
		t.Fatalf("client-first = %q, want %q", got, want)
	}
}
