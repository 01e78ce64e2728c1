package payerkey

import "testing"

func TestAgreementNoRoundTrip(t *testing.T) {
	d, err := NewDeriver("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	key := d.Key("6222020200112233445")
	if len(key) != KeyLen || key != d.Key("6222020200112233445") {
		t.Fatalf("key %q not stable or wrong length", key)
	}
	if key == d.Key("6222020200112233446") {
		t.Fatal("two accounts share a key")
	}
	other, _ := NewDeriver("other")
	if other.Key("6222020200112233445") == key {
		t.Fatal("key does not depend on the secret")
	}
	no := AgreementNo(key, "signing-1")
	if len(no) != AgreementNoLen {
		t.Fatalf("agreement no %q has length %d", no, len(no))
	}
	got, err := FromAgreementNo(no)
	if err != nil || got != key {
		t.Fatalf("FromAgreementNo(%q) = %q, %v; want %q", no, got, err, key)
	}
	if AgreementNo(key, "signing-2") == no {
		t.Fatal("two signings got the same agreement number")
	}
}

func TestFromAgreementNoRejects(t *testing.T) {
	for _, no := range []string{"", "NU", "XX" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "NU" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "NU" + "AAAAAAAAAAAAAAAAAAAAAAAAAAA1"} {
		if _, err := FromAgreementNo(no); err == nil {
			t.Errorf("FromAgreementNo(%q) accepted", no)
		}
	}
	if _, err := NewDeriver(""); err == nil {
		t.Error("empty secret accepted")
	}
}
