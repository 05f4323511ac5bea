-- Magistrates' courts that use the service, with the date each goes live.
CREATE TABLE courts (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT      NOT NULL UNIQUE,
    region       TEXT      NOT NULL CHECK (region IN ('london', 'south_east', 'south_west', 'midlands',
                                                      'north_east', 'north_west', 'wales')),
    go_live_date TEXT      NOT NULL CHECK (go_live_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    updated_at   BIGINT    NOT NULL
);
