-- GS1 numeric keys (gtin, sscc, gln) and the USCC: every valid form and every
-- malformed form, one per line, with the SQLSTATE and message each raises.
SET search_path = trace, public;
\pset null '(null)'

CREATE FUNCTION pg_temp.try(t regtype, v text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    EXECUTE pg_catalog.format('SELECT %L::%s::text', v, t) INTO r;
    RETURN r;
EXCEPTION WHEN others THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- GTIN: 8, 12, 13 and 14 digits, held and printed as 14
SELECT v, pg_temp.try('trace.gtin', v) FROM (VALUES
    ('96385074'),                -- GTIN-8
    ('036000291452'),            -- GTIN-12 (UPC-A)
    ('4006381333931'),           -- GTIN-13
    ('6901234567892'),           -- GTIN-13, GS1 China prefix 690
    ('10614141000415'),          -- GTIN-14
    ('  4006381333931 '),        -- surrounding blanks ignored
    ('00000000000000'),          -- all zeros: arithmetically valid
    ('4006381333932'),           -- wrong check digit
    ('40063813339'),             -- 11 digits
    ('400638133393'),            -- 12 digits, wrong check digit
    ('400638133393100'),         -- 15 digits
    ('4006381333x31'),           -- letter
    ('4006-381333931'),          -- hyphen
    ('４００６３８１３３３９３１'),    -- full-width digits
    (''),                        -- empty
    ('   ')                      -- blanks only
) t(v);

-- equal numbers are equal whatever the length they were written with
SELECT '4006381333931'::gtin = '04006381333931'::gtin AS same_gtin,
       '96385074'::gtin = '00000096385074'::gtin AS gtin8_padded,
       '96385074'::gtin < '4006381333931'::gtin AS ordered;

-- SSCC: 18 digits
SELECT v, pg_temp.try('trace.sscc', v) FROM (VALUES
    ('106141411234567897'),
    ('376104250021234569'),
    ('106141411234567898'),      -- wrong check digit
    ('10614141123456789'),       -- 17 digits
    ('1061414112345678970'),     -- 19 digits
    ('10614141123456789O')       -- letter O for zero
) t(v);

-- GLN: 13 digits
SELECT v, pg_temp.try('trace.gln', v) FROM (VALUES
    ('0614141000012'),
    ('6901234000009'),
    ('0614141000013'),           -- wrong check digit
    ('614141000012'),            -- 12 digits
    ('06141410000120')           -- 14 digits
) t(v);

-- bigint casts check the check digit too
SELECT 4006381333931::bigint::gtin AS from_bigint, '4006381333931'::gtin::bigint AS to_bigint;
SELECT pg_temp.try('trace.gtin', (4006381333932::bigint::text));
DO $$ BEGIN PERFORM 4006381333932::bigint::trace.gtin; EXCEPTION WHEN others THEN RAISE NOTICE '% %', SQLSTATE, SQLERRM; END $$;
DO $$ BEGIN PERFORM (-1)::bigint::trace.sscc; EXCEPTION WHEN others THEN RAISE NOTICE '% %', SQLSTATE, SQLERRM; END $$;

-- USCC (GB 32100): MOD 31 check character over the 31-character alphabet
SELECT v, pg_temp.try('trace.uscc', v) FROM (VALUES
    ('91350100M000100Y43'),      -- enterprise, Fuzhou
    ('91110000600037341L'),      -- enterprise, Beijing
    ('91110000100006478U'),      -- letters in the last place
    ('Y1110000MA01A1B2CQ'),      -- starts with Y (other registration authority)
    ('A1110000MA01A1B2CD'),      -- starts with A
    ('N2440300MA5F00000N'),      -- starts with N
    ('91350100m000100y43'),      -- lower case: accepted, printed upper case
    ('91350100M000100Y44'),      -- wrong check character
    ('91350100M000100Y4'),       -- 17 characters
    ('91350100M000100Y433'),     -- 19 characters
    ('91350100M0001I0Y43'),      -- I is not in the alphabet
    ('91350100M0001O0Y43'),      -- O is not in the alphabet
    ('91350100M0001S0Y43'),      -- S
    ('91350100M0001V0Y43'),      -- V
    ('91350100M0001Z0Y43'),      -- Z
    ('91350100M000-00Y43'),      -- punctuation
    ('')
) t(v);

-- the embedded organisation code (GB 11714) is reported, not enforced
SELECT u, (uscc_info(u::uscc))->>'organisation_code' AS org,
       (uscc_info(u::uscc))->'organisation_code_valid' AS org_valid,
       (uscc_info(u::uscc))->>'region_code' AS region
FROM (VALUES ('91350100M000100Y43'), ('91110000600037341L'), ('Y1110000MA01A1B2CQ')) t(u);

-- trace.validate gives the same message as the type input, NULL when valid
SELECT k, v, validate(k, v) FROM (VALUES
    ('gtin', '4006381333931'),
    ('gtin', '4006381333932'),
    ('sscc', '106141411234567897'),
    ('sscc', '1061414112345678'),
    ('gln',  '0614141000013'),
    ('uscc', '91350100M000100Y43'),
    ('uscc', '91350100M000100Y4X')
) t(k, v);
SELECT validate('isbn', '9780306406157');
