-- Reading functions that run with definer rights (trace.history,
-- trace.completeness) show an operator no more than the row policies let it
-- read directly: the events of its own units and the flows it is a party to.
BEGIN;
SELECT plan(9);
\ir fixtures/access_scenario.psql

CREATE ROLE dr_admin IN ROLE trace_admin;
CREATE ROLE dr_factory IN ROLE trace_operator;
CREATE ROLE dr_dist IN ROLE trace_operator;
CREATE ROLE dr_regulator IN ROLE trace_regulator;
SET LOCAL ROLE dr_admin;
SELECT trace.bind_operator('dr_factory', '91330100MA2H3K5L19') IS NULL AS x \gset
SELECT trace.bind_operator('dr_dist', '91440300MA5FQ7W81X') IS NULL AS x \gset
RESET ROLE;

-- H0001: factory -> distributor -> retailer -> a consumer ("个人消费者甲")
SET LOCAL ROLE dr_regulator;
SELECT ok(trace.history('(01)06901234567892(21)H0001')::text LIKE '%个人消费者甲%',
    'a regulator sees the whole history, the retailer''s sale to the consumer included');
RESET ROLE;

SET LOCAL ROLE dr_factory;
SELECT ok(trace.history('(01)06901234567892(21)H0001')::text NOT LIKE '%个人消费者甲%',
    'the factory does not see the retailer''s customer');
SELECT is((SELECT count(*)::int FROM jsonb_array_elements(trace.history('(01)06901234567892(21)H0001') -> 'events') e
            WHERE e ->> 'uscc' = '92110105MA01ABC2DR'), 0,
    'the factory sees no event recorded by the retailer');
SELECT ok((SELECT bool_and(e ->> 'uscc' = '91330100MA2H3K5L19' OR e ->> 'buyer_uscc' = '91330100MA2H3K5L19'
                           OR e ->> 'supplier_uscc' = '91330100MA2H3K5L19')
             FROM jsonb_array_elements(trace.history('(01)06901234567892(21)H0001') -> 'events') e),
    'every event the factory sees is its own or a flow it is a party to');
SELECT ok(jsonb_array_length(trace.history('(01)06901234567892(21)H0001') -> 'events') > 0,
    'the factory still sees its own production, packing and sale');
SELECT lives_ok($$SELECT trace.completeness('91330100MA2H3K5L19')$$, 'the factory reads its own completeness');
SELECT throws_ok($$SELECT trace.completeness('91440300MA5FQ7W81X')$$, '42501', NULL,
    'the factory cannot read the distributor''s completeness');
RESET ROLE;

SET LOCAL ROLE dr_dist;
SELECT ok((SELECT bool_or(e ->> 'event' = 'producer_sale')
             FROM jsonb_array_elements(trace.history('(01)06901234567892(21)H0001') -> 'events') e),
    'the distributor sees the factory''s sale to it (it is the buyer)');
SELECT ok(trace.history('(01)06901234567892(21)H0001')::text NOT LIKE '%个人消费者甲%',
    'nor does the distributor see the consumer');
RESET ROLE;

\ir fixtures/access_done.psql
SELECT * FROM finish();
ROLLBACK;
