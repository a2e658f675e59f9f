-- Continuum storage, version 2: run snapshots (a journal prefix packed into one row).
-- One row per run, replaced as the run grows; removed with the run.
CREATE TABLE snapshots (
    run_id         text PRIMARY KEY REFERENCES runs (run_id) ON DELETE CASCADE,
    through_seq    integer NOT NULL CHECK (through_seq > 0),
    format_version integer NOT NULL,
    data           text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
