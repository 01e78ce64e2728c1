package clearing

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/paycore/paycore/events"
)

func TestWriteFile(t *testing.T) {
	var buf bytes.Buffer
	err := WriteFile(&buf, "B20260302-1400", []Payment{
		payment("t1", "RSV-A", events.StatusSuccess, "100"),
		{TxnID: "t2", OrderID: `order, "quoted"`, ChannelID: "CH", ReserveAccount: "RSV-A", Amount: events.CNY("0.5"), Status: events.StatusFailure},
	})
	want := strings.Join([]string{
		"batch_id,txn_id,order_id,channel_id,reserve_account,amount,status",
		"B20260302-1400,t1,order-t1,CH-RSV-A,RSV-A,100.00,success",
		`B20260302-1400,t2,"order, ""quoted""",CH,RSV-A,0.50,failure`,
		"",
	}, "\n")
	if err != nil || buf.String() != want {
		t.Errorf("WriteFile = %q, %v; want %q", buf.String(), err, want)
	}
}

func TestWriteFilesReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	ps := []Payment{payment("t1", "RSV-A", events.StatusSuccess, "1.00")}
	first, err := WriteFiles(dir, "B20260302-1400", ps)
	if err != nil || len(first) != 2 || !strings.HasSuffix(first[0], "B20260302-1400.payer.csv") || !strings.HasSuffix(first[1], "B20260302-1400.reserve.csv") {
		t.Fatalf("WriteFiles = %v, %v", first, err)
	}
	again, err := WriteFiles(dir, "B20260302-1400", ps)
	if err != nil || again[0] != first[0] {
		t.Fatalf("second WriteFiles = %v, %v", again, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("directory holds %d entries after two writes (temporary files left?)", len(entries))
	}
}
