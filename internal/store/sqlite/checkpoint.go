package sqlite

import (
	"context"
	"time"
)

// A WAL checkpoint copies committed pages from the log back into the
// database file and fsyncs both. Left to SQLite it runs inside whichever
// commit crosses the threshold, on the writer, and stalls every rotation
// queued behind it: over a third of the writer's time in profiles. So the
// writer's automatic checkpoint is only a backstop (writerParams), and this
// goroutine, on a connection of its own, runs PASSIVE checkpoints, which
// never wait for the writer or readers, after writes and at most once per
// checkpointEvery, so the fsyncs do not run back to back.
const checkpointEvery = 20 * time.Millisecond

// wrote tells the checkpointer there is something to copy; it never blocks.
func (db *DB) wrote() {
	select {
	case db.kick <- struct{}{}:
	default:
	}
}

func (db *DB) checkpointer() {
	defer close(db.checkpointerDone)
	for {
		select {
		case <-db.closing:
			return
		case <-db.kick:
		}
		// A failed checkpoint is not an error of any request: the next
		// one, or the writer's backstop, copies what this one did not.
		db.ck.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		select {
		case <-db.closing:
			return
		case <-time.After(checkpointEvery):
		}
	}
}
