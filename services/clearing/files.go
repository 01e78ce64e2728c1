package clearing

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/paycore/paycore/events"
)

// FileHeader is the first line of the switch's reconciliation files
// (对账文件): one line per payment of the batch, ordered by txn_id, with
// the amount in yuan with two decimals and the final status.
var FileHeader = []string{"batch_id", "txn_id", "order_id", "channel_id", "reserve_account", "amount", "status"}

// FileBanks are the banks that get a reconciliation file, by the names
// DiscrepancyFound.Bank uses.
var FileBanks = []string{events.BankPayer, events.BankReserve}

// FileName is the name of the reconciliation file of a batch for a bank
// ("payer" or "reserve"): <batch>.<bank>.csv.
func FileName(batchID, bank string) string { return batchID + "." + bank + ".csv" }

// WriteFile writes a batch's reconciliation file to w.
func WriteFile(w io.Writer, batchID string, payments []Payment) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(FileHeader); err != nil {
		return err
	}
	for _, p := range payments {
		if err := cw.Write([]string{batchID, p.TxnID, p.OrderID, p.ChannelID, p.ReserveAccount, p.Amount.String(), p.Status}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteFiles writes the payer bank's and the reserve bank's
// reconciliation files of a batch into dir and returns their paths. Both
// list every payment of the batch: a payment the reserve bank never
// heard of is a claim to check too (it must show no credit). Each file is
// written to a temporary name and renamed, so a reader never sees half a
// file, and writing again gives identical bytes.
func WriteFiles(dir, batchID string, payments []Payment) ([]string, error) {
	var paths []string
	for _, bank := range FileBanks {
		path := filepath.Join(dir, FileName(batchID, bank))
		if err := WriteAtomically(path, func(w io.Writer) error { return WriteFile(w, batchID, payments) }); err != nil {
			return nil, fmt.Errorf("clearing: writing %s: %w", path, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// WriteAtomically writes path through a temporary file in the same
// directory (created if missing) and renames it into place.
func WriteAtomically(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename there is nothing left to remove
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
