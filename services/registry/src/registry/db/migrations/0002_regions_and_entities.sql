-- Registry: regions (GB/T 2260), stores, parks and bases ("parks", by kind) with residents, live
-- teams, brands, best-selling products, statistics-list years, demonstration status, imports.

CREATE TABLE regions (
    code            char(6)     PRIMARY KEY,
    name            text        NOT NULL,
    level           text        NOT NULL CHECK (level IN ('province', 'city', 'county')),
    parent_code     char(6),
    valid_from      date,
    valid_to        date,
    successor_code  char(6),
    statistical_only boolean    NOT NULL DEFAULT false
);
CREATE INDEX regions_parent ON regions (parent_code);

-- 限额以上 / 上规入统: whether the enterprise is in the statistics list in a given year.
CREATE TABLE enterprise_statistics_years (
    enterprise_id  uuid     NOT NULL REFERENCES enterprises (id),
    year           smallint NOT NULL,
    in_list        boolean  NOT NULL,
    PRIMARY KEY (enterprise_id, year)
);

CREATE TABLE stores (
    id                 uuid        PRIMARY KEY,
    platform           text        NOT NULL,
    platform_shop_id   text        NOT NULL,
    name               text        NOT NULL,
    owner_enterprise_id uuid       REFERENCES enterprises (id),
    owner_individual   text,
    region_code        char(6)     NOT NULL,
    category           text,
    opened_on          date,
    closed_on          date,
    status             text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    version            integer     NOT NULL DEFAULT 1,
    created_by         text        NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stores_platform_shop_unique UNIQUE (platform, platform_shop_id),
    CONSTRAINT stores_owner CHECK (owner_enterprise_id IS NOT NULL OR owner_individual IS NOT NULL)
);
CREATE INDEX stores_region ON stores (region_code);
CREATE INDEX stores_owner_enterprise ON stores (owner_enterprise_id);
CREATE INDEX stores_name_trgm ON stores USING gin (name gin_trgm_ops);
CREATE INDEX stores_opened_on ON stores (opened_on);

CREATE TABLE parks (
    id                  uuid        PRIMARY KEY,
    kind                text        NOT NULL,
    name                text        NOT NULL,
    operator_enterprise_id uuid     REFERENCES enterprises (id),
    region_code         char(6)     NOT NULL,
    floor_area_m2       numeric(12, 2),
    live_rooms          integer,
    opened_on           date,
    closed_on           date,
    status              text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    version             integer     NOT NULL DEFAULT 1,
    created_by          text        NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX parks_region ON parks (region_code);
CREATE INDEX parks_name_trgm ON parks USING gin (name gin_trgm_ops);

-- 入驻电商企业名单 (004 附件7): who is resident in a park or base, and when.
CREATE TABLE park_residents (
    id             uuid        PRIMARY KEY,
    park_id        uuid        NOT NULL REFERENCES parks (id),
    enterprise_id  uuid        NOT NULL REFERENCES enterprises (id),
    joined_on      date        NOT NULL,
    left_on        date,
    created_by     text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (left_on IS NULL OR left_on >= joined_on)
);
-- One open residence per enterprise and site at a time.
CREATE UNIQUE INDEX park_residents_open ON park_residents (park_id, enterprise_id) WHERE left_on IS NULL;

CREATE TABLE live_teams (
    id              uuid        PRIMARY KEY,
    enterprise_id   uuid        NOT NULL REFERENCES enterprises (id),
    name            text        NOT NULL,
    region_code     char(6)     NOT NULL,
    members         integer,
    hosts           integer,
    status          text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    version         integer     NOT NULL DEFAULT 1,
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX live_teams_enterprise ON live_teams (enterprise_id);

CREATE TABLE brands (
    id              uuid        PRIMARY KEY,
    enterprise_id   uuid        NOT NULL REFERENCES enterprises (id),
    name            text        NOT NULL,
    region_code     char(6)     NOT NULL,
    label           text,       -- e.g. 贵字号, 青字号, 老字号, 地理标志
    status          text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    version         integer     NOT NULL DEFAULT 1,
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX brands_enterprise ON brands (enterprise_id);

CREATE TABLE products (
    id              uuid        PRIMARY KEY,
    enterprise_id   uuid        NOT NULL REFERENCES enterprises (id),
    brand_id        uuid        REFERENCES brands (id),
    name            text        NOT NULL,
    region_code     char(6)     NOT NULL,
    category        text,
    status          text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    version         integer     NOT NULL DEFAULT 1,
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_enterprise ON products (enterprise_id);

-- Current demonstration status per entity, kept from the awards service's events.
CREATE TABLE demonstration_status (
    entity_type     text        NOT NULL,
    entity_id       uuid        NOT NULL,
    programme_id    text        NOT NULL,
    category        text        NOT NULL,
    region_code     char(6)     NOT NULL,
    status          text        NOT NULL CHECK (status IN ('designated', 'revoked')),
    designated_on   date,
    revoked_on      date,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity_type, entity_id, programme_id, category)
);

CREATE TABLE import_jobs (
    id              uuid        PRIMARY KEY,
    kind            text        NOT NULL,
    file_sha256     text        NOT NULL,
    file_name       text,
    mode            text        NOT NULL CHECK (mode IN ('dry_run', 'all_or_nothing', 'good_rows')),
    status          text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    total_rows      integer     NOT NULL DEFAULT 0,
    processed_rows  integer     NOT NULL DEFAULT 0,
    loaded_rows     integer     NOT NULL DEFAULT 0,
    skipped_rows    integer     NOT NULL DEFAULT 0,
    error_rows      integer     NOT NULL DEFAULT 0,
    errors          jsonb       NOT NULL DEFAULT '[]',
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
-- The same file loaded twice is one import (dry runs excepted).
CREATE UNIQUE INDEX import_jobs_once ON import_jobs (kind, file_sha256)
    WHERE mode <> 'dry_run' AND status = 'succeeded';
