-- The start of an ingestion: takes the organization's metering lock shared, then reads its settings version. In a
-- function because a volatile function's query takes a snapshot of its own: a change of settings that committed while
-- the lock was awaited is seen. The calling statement's snapshot was taken before the wait and would still show the
-- version from before the change, and its events would be valued with settings the change had already replaced.
CREATE FUNCTION billow_ingestion_gate(org uuid, org_lock bigint) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  found_version bigint;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(org_lock);
  SELECT metering_version INTO found_version FROM organizations WHERE id = org;
  RETURN found_version;
END
$$;
