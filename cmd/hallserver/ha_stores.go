package main

import (
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"onedoor/hallserver/cases"
	"onedoor/hallserver/etcd"
	"onedoor/hallserver/hall"
)

// onEtcd returns the stores of a term of the etcd owner: st with the services kept on etcd
// (appointments, visit ratings, topic answers, the long-standing list, the notifier's outbox:
// they fail over), every write fenced on the term's election key, so that a server that lost
// its lease commits nothing. cs is the case system the hot topics are found in.
func (st *localStores) onEtcd(cli *clientv3.Client, term *etcd.Term, cs cases.CaseWindow, c hall.Campus) *localStores {
	t := *st
	t.appointments = etcd.NewAppointments(cli, etcdPrefix, term.Fence, time.Now)
	t.visitRatings = etcd.NewVisitRatings(cli, etcdPrefix, term.Fence, time.Now)
	t.topics = etcd.NewTopics(cli, etcdPrefix, term.Fence, cs, time.Now)
	t.longList = etcd.NewLongList(cli, etcdPrefix, term.Fence, departmentCodes(c), time.Now)
	t.outbox = etcd.NewNoticeStore(cli, etcdPrefix, term.Fence)
	return &t
}

// departmentCodes are the codes of the campus's departments.
func departmentCodes(c hall.Campus) []string {
	var codes []string
	for _, d := range c.Departments {
		codes = append(codes, d.Code)
	}
	return codes
}
