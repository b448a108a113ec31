-- Rewards and subsidies on a ledger that cannot overpay (004 四(二)2-3; docs/rewards.md).
-- Money is integer fen. Running totals (reserved, paid) live on budget and cap rows, which a
-- reservation locks and checks in one statement; CHECK constraints make an overdraw impossible
-- even for a caller that skips the check. Entries are append-only (a trigger refuses UPDATE and
-- DELETE): an amount once written is never changed, only answered by a later entry.

-- Figures from accepted annual reports (submissions ``report.accepted``), every version kept.
CREATE TABLE accepted_reports (
    report_id       text        NOT NULL,
    version         int         NOT NULL,
    window_id       text        NOT NULL,
    programme_id    text        NOT NULL,
    year            int         NOT NULL,
    designation_id  text        NOT NULL,
    entity_id       text        NOT NULL,
    figures         jsonb       NOT NULL,
    accepted_by     text        NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (report_id, version)
);
CREATE INDEX accepted_reports_entity ON accepted_reports (programme_id, entity_id, year);

-- 上规入统 per year and cross-border, from the registry (kinds) and the statistics system.
CREATE TABLE enterprise_reward_facts (
    entity_id           text        NOT NULL,
    year                int         NOT NULL,
    in_statistics_list  boolean     NOT NULL,
    reported_by         text        NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity_id, year)
);
CREATE TABLE enterprise_kinds (
    entity_id   text    PRIMARY KEY,
    kinds       text[]  NOT NULL DEFAULT '{}'
);

-- 专项资金 per programme, year and reward kind, set by the province.
CREATE TABLE reward_budgets (
    programme_id  text        NOT NULL,
    year          int         NOT NULL,
    kind          text        NOT NULL,
    amount_fen    bigint      NOT NULL CHECK (amount_fen >= 0),
    reserved_fen  bigint      NOT NULL DEFAULT 0 CHECK (reserved_fen >= 0),
    paid_fen      bigint      NOT NULL DEFAULT 0 CHECK (paid_fen >= 0),
    set_by        text        NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (programme_id, year, kind),
    CONSTRAINT budget_not_overdrawn CHECK (reserved_fen + paid_fen <= amount_fen)
);

-- Caps per entity, cap group and year (year 0: one-time rewards), from the programme file.
CREATE TABLE reward_caps (
    programme_id  text   NOT NULL,
    entity_type   text   NOT NULL,
    entity_id     text   NOT NULL,
    cap_group     text   NOT NULL,
    year          int    NOT NULL,
    cap_fen       bigint NOT NULL CHECK (cap_fen >= 0),
    reserved_fen  bigint NOT NULL DEFAULT 0 CHECK (reserved_fen >= 0),
    paid_fen      bigint NOT NULL DEFAULT 0 CHECK (paid_fen >= 0),
    PRIMARY KEY (programme_id, entity_type, entity_id, cap_group, year),
    CONSTRAINT cap_not_exceeded CHECK (reserved_fen + paid_fen <= cap_fen)
);

-- One row per computed award; its amounts are in reward_entries.
CREATE TABLE reward_awards (
    id               uuid        PRIMARY KEY,
    programme_id     text        NOT NULL,
    reward_id        text        NOT NULL,
    kind             text        NOT NULL,
    entity_type      text        NOT NULL,
    entity_id        text        NOT NULL,
    region_code      char(6),
    year             int         NOT NULL,
    tier             text        NOT NULL,
    cap_group        text        NOT NULL,
    cap_year         int         NOT NULL,
    cap_fen          bigint      NOT NULL CHECK (cap_fen >= 0),
    max_fen          bigint      NOT NULL CHECK (max_fen >= 0 OR kind = 'traffic_subsidy_adjustment'),
    working          jsonb       NOT NULL,
    report_id        text,
    report_version   int,
    adjusts          uuid        REFERENCES reward_awards (id),
    idempotency_key  text        NOT NULL,
    status           text        NOT NULL CHECK (status IN (
                         'proposed', 'payment_requested', 'paid', 'failed', 'voided',
                         'recovery_due')),
    status_reason    text,
    recovery_flagged boolean     NOT NULL DEFAULT false,
    proposed_by      text        NOT NULL,
    proposed_at      timestamptz NOT NULL DEFAULT now()
);
-- Once per tier per entity (a designation reward, a sales tier, a 限额以上 entry) …
CREATE UNIQUE INDEX reward_once_per_tier ON reward_awards (programme_id, entity_type, entity_id, tier)
    WHERE kind IN ('designation', 'sales_milestone', 'statistics_list_entry') AND status <> 'voided';
-- … one subsidy per enterprise per year, and one adjustment per corrected report version.
CREATE UNIQUE INDEX reward_one_subsidy_per_year ON reward_awards (programme_id, entity_id, year)
    WHERE kind = 'traffic_subsidy' AND status <> 'voided';
CREATE UNIQUE INDEX reward_one_adjustment_per_version ON reward_awards (adjusts, report_version)
    WHERE kind = 'traffic_subsidy_adjustment' AND status <> 'voided';
CREATE INDEX reward_awards_list ON reward_awards (programme_id, year, status);
CREATE INDEX reward_awards_entity ON reward_awards (entity_id);

CREATE TABLE reward_entries (
    seq         bigserial   PRIMARY KEY,
    award_id    uuid        NOT NULL REFERENCES reward_awards (id),
    attempt     int         NOT NULL DEFAULT 0,
    kind        text        NOT NULL CHECK (kind IN (
                    'proposed', 'reserved', 'payment_requested', 'settled', 'failed', 'voided',
                    'reversed', 'recovery_flagged')),
    amount_fen  bigint      NOT NULL,
    actor       text        NOT NULL,
    reason      text,
    detail      jsonb       NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (award_id, attempt, kind)
);
-- Never paid twice: one settlement per award, whatever the attempts.
CREATE UNIQUE INDEX reward_settled_once ON reward_entries (award_id) WHERE kind = 'settled';

CREATE FUNCTION reward_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'reward_entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER reward_entries_append_only BEFORE UPDATE OR DELETE ON reward_entries
    FOR EACH ROW EXECUTE FUNCTION reward_entries_append_only();
