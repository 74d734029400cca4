-- The seal: what this run of sql/ installed, so that wallet.verify() can name a
-- function whose definition changes later (functions_as_installed). Last of
-- the files, in the same transaction as the others.

delete from ledger.installed_functions;

insert into ledger.installed_functions (signature, digest)
select
    d.signature,
    d.digest
from wallet_internal.function_digests() as d;
