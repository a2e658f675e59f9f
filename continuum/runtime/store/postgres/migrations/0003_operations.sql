-- Continuum storage, version 3: operations — retention, schedules, query indexes.
-- Applied with search_path set to the Continuum schema; names here are unqualified.

-- Retention. A worker records each version's `retention` (seconds; NULL = keep
-- forever) when it first runs it. `registered_at` NULL means no worker said anything
-- about that version yet: its finished runs are kept (never delete what we cannot
-- account for).
ALTER TABLE workflow_versions
    ADD COLUMN retention_seconds double precision CHECK (retention_seconds >= 0),
    ADD COLUMN registered_at     timestamptz;

-- When a finished run (and its journal, signals, tasks) may be pruned; NULL = keep.
ALTER TABLE runs ADD COLUMN retention_until timestamptz;

CREATE INDEX runs_retention_idx ON runs (retention_until) WHERE retention_until IS NOT NULL;
-- `runs list --namespace n --status s`: the namespace index alone would scan every run
-- of a busy namespace to find the few failed ones.
CREATE INDEX runs_namespace_status_idx ON runs (namespace, status, created_at DESC);

-- Every way a run becomes terminal (finish, cancel cascade, continue-as-new, …) goes
-- through this trigger, so no code path can forget to stamp retention_until. The
-- function keeps the migration's search_path because the runtime's statements use
-- schema-qualified names and do not set one.
CREATE FUNCTION set_retention_until() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    keep double precision;
    known boolean := false;
BEGIN
    SELECT v.retention_seconds, true INTO keep, known
    FROM workflow_versions v
    WHERE v.workflow = NEW.workflow
      AND v.registered_at IS NOT NULL
      AND (v.version_hash = NEW.version_hash OR NEW.version_hash IS NULL)
    ORDER BY (v.version_hash = NEW.version_hash) DESC NULLS LAST, v.registered_at DESC
    LIMIT 1;
    IF known AND keep IS NOT NULL THEN
        NEW.retention_until := COALESCE(NEW.completed_at, now())
                               + make_interval(secs => keep);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER runs_retention_trg
    BEFORE UPDATE OF status ON runs
    FOR EACH ROW
    WHEN (NEW.status IN ('completed', 'failed', 'cancelled', 'drifted', 'continued')
          AND OLD.status NOT IN ('completed', 'failed', 'cancelled', 'drifted', 'continued'))
    EXECUTE FUNCTION set_retention_until();

-- Schedules: one-shot (`cron` NULL) and cron. A worker claims due rows with
-- FOR UPDATE SKIP LOCKED and, in the same transaction, creates the run with the
-- deterministic id `schedule:<name>:<fire time>` and advances next_fire_at, so each
-- fire time yields exactly one run however many workers race.
CREATE TABLE schedules (
    name          text PRIMARY KEY,
    workflow      text NOT NULL,
    input         text NOT NULL,
    namespace     text NOT NULL DEFAULT 'default',
    attributes    jsonb NOT NULL DEFAULT '{}'::jsonb,
    cron          text,
    timezone      text NOT NULL DEFAULT 'UTC',
    status        text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'done', 'cancelled')),
    next_fire_at  timestamptz,
    last_fire_at  timestamptz,
    last_run_id   text,
    fire_count    integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'active' OR next_fire_at IS NOT NULL)
);

CREATE INDEX schedules_due_idx ON schedules (next_fire_at) WHERE status = 'active';
