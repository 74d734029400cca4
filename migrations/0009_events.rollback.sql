-- Rollback of 0009_events.
drop table ledger.relay_positions;
drop table ledger.event_horizon;
drop table ledger.events;
alter table ledger.transactions drop column xid;
