-- Magistrates' courts that use the service, with the date each goes live.
CREATE TABLE courts (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    region       TEXT    NOT NULL CHECK (region IN ('london', 'south_east', 'south_west', 'midlands',
                                                    'north_east', 'north_west', 'wales')),
    go_live_date TEXT    NOT NULL CHECK (go_live_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    updated_at   BIGINT  NOT NULL
);
