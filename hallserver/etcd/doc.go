// Package etcd is the store of the halls' queue logs on an etcd v3 cluster (docs/HA.md): it
// implements enginehost.QueueStore, so that several hall servers share one replicated state and
// one of them, the owner chosen by an etcd lease election (owner.go), writes it.
//
// Key layout (all under the prefix given to NewQueueStore, "/onedoor/" in hallserver):
//
//	q/meta/{hall}                 the hall's queue.Meta (JSON), written with every change
//	q/ev/{hall}/{seq:%020d}       the hall's events (JSON hall.Event), one key per seq: replay is a range read
//	q/t/{ticket id}               every ticket (JSON hall.Ticket)
//	q/tok/{follow token}          → ticket id (written once, when issued)
//	q/gen/{hall}                  the generation of the hall's open index (decimal)
//	q/open/{hall}/{gen:%020d}/{id}  the open tickets (open states and no-shows), full JSON: a hall
//	                              loads with one range read. A day reset moves to the next generation
//	                              and drops the old one with one DeleteRange.
//	q/idem/{hall}/{key}           idempotency records (JSON {id, at, seq})
//
// Group commit: a batch of changes becomes one Txn (every key once: later changes of the batch
// win), fenced with a compare on the owner's election key (its create revision), so a server that
// lost its lease can never commit. etcd bounds a Txn (--max-txn-ops, 128 by default; request size
// 1.5 MiB): the store says what fits (Fits: at most MaxTxnOps operations and MaxTxnBytes, counted
// from above) and the engine host's committer closes each batch before it would exceed that
// (enginehost.BatchLimiter), so every batch is one Txn, all or nothing. Commit refuses a batch that
// does not fit (ErrTooBig) before writing anything; a single change too big for a Txn (e.g. a day
// reset cancelling more than about 55 waiting tickets) is refused by the host with nothing written.
package etcd
