-- The catalogue grid (spec: indicators.md, catalogue version 1) in SQLite SQL, for the
-- end-to-end benchmark only (bench/run_benchmarks.sh). It is NOT a second implementation to
-- trust: it validates nothing and assumes clean, already-valid input such as `ringfence synth`
-- writes (codes upper-case and trimmed, dates exactly dd/mm/yyyy, CHILD unique in Header).
--
-- Expects, already loaded with `.import --csv` (every column TEXT, named by the header row):
--   header, episodes, uasc, oc3, missing, sensitive
-- and a one-row table params(s, r) with the year's first and last day as yyyymmdd integers,
-- e.g. SELECT 20240401 AS s, 20250331 AS r.
--
-- Computes these indicators with every breakdown the spec lists (zeros included):
--   cla (total, sex, age, ethnicity, uasc, legal_status, placement, nationality,
--        immigration_status, nrpf), started, ceased, placements_3plus, leavers,
--   leavers_in_touch, leavers_eet, leavers_suitable_accom, missing, away_no_auth.
-- Not computed: distance_over_20, distance_known, out_of_area (they need the postcode table).
-- Prints indicator,breakdown,group,value, one line per cell.

-- Dates as yyyymmdd integers: completed years between two dates is then (d2 - d1) / 10000,
-- which is calendar exact (a 29/02 birthday counts from 01/03 in non-leap years).
CREATE TEMP TABLE ch AS
SELECT CHILD AS child,
       CASE WHEN SEX IN ('1', 'M') THEN 'male' WHEN SEX IN ('2', 'F') THEN 'female'
            ELSE 'unknown' END AS sex_g,
       CAST(substr(DOB, 7, 4) || substr(DOB, 4, 2) || substr(DOB, 1, 2) AS INTEGER) AS dob,
       CASE WHEN ETHNIC = 'CHNE' THEN 'asian' WHEN ETHNIC = 'OOTH' THEN 'other'
            WHEN ETHNIC IN ('REFU', 'NOBT') THEN 'not_known'
            WHEN substr(ETHNIC, 1, 1) = 'W' THEN 'white'
            WHEN substr(ETHNIC, 1, 1) = 'M' THEN 'mixed'
            WHEN substr(ETHNIC, 1, 1) = 'A' THEN 'asian'
            WHEN substr(ETHNIC, 1, 1) = 'B' THEN 'black' ELSE 'not_known' END AS eth_g
FROM header;
CREATE UNIQUE INDEX ch_child ON ch(child);

CREATE TEMP TABLE uasc_children AS SELECT DISTINCT CHILD AS child FROM uasc;
CREATE UNIQUE INDEX uasc_child ON uasc_children(child);

CREATE TEMP TABLE sens AS
SELECT CHILD AS child,
       CASE WHEN NATIONALITY IN ('', 'UNK') THEN 'unknown'
            WHEN NATIONALITY = 'GBR' THEN 'british'
            WHEN NATIONALITY IN ('AUT', 'BEL', 'BGR', 'HRV', 'CYP', 'CZE', 'DNK', 'EST', 'FIN',
                                 'FRA', 'DEU', 'GRC', 'HUN', 'IRL', 'ITA', 'LVA', 'LTU', 'LUX',
                                 'MLT', 'NLD', 'POL', 'PRT', 'ROU', 'SVK', 'SVN', 'ESP', 'SWE',
                                 'ISL', 'LIE', 'NOR', 'CHE') THEN 'eu_eea_swiss'
            ELSE 'other' END AS nat_g,
       CASE WHEN IMMIGRATION_STATUS IN ('BRITISH', 'SETTLED') THEN 'british_or_settled'
            WHEN IMMIGRATION_STATUS = 'LIMITED_LEAVE' THEN 'limited_leave'
            WHEN IMMIGRATION_STATUS = 'ASYLUM_SEEKER' THEN 'asylum_seeker'
            WHEN IMMIGRATION_STATUS IN ('REFUGEE', 'HUMANITARIAN') THEN 'refugee_or_protection'
            WHEN IMMIGRATION_STATUS = 'NO_STATUS' THEN 'no_status' ELSE 'unknown' END AS imm_g,
       CASE WHEN NRPF = 'Y' THEN 'nrpf' WHEN NRPF = 'N' THEN 'not_nrpf' ELSE 'unknown' END
           AS nrpf_g
FROM sensitive;
CREATE UNIQUE INDEX sens_child ON sens(child);

-- Per child: everything a breakdown needs that does not depend on the cohort.
CREATE TEMP TABLE attr AS
SELECT ch.child, ch.sex_g, ch.dob, ch.eth_g,
       CASE WHEN u.child IS NULL THEN 'not_uasc' ELSE 'uasc' END AS uasc_g,
       coalesce(s.nat_g, 'unknown') AS nat_g, coalesce(s.imm_g, 'unknown') AS imm_g,
       coalesce(s.nrpf_g, 'unknown') AS nrpf_g
FROM ch LEFT JOIN uasc_children u ON u.child = ch.child LEFT JOIN sens s ON s.child = ch.child;
CREATE UNIQUE INDEX attr_child ON attr(child);

-- Non-short-break episodes, in file order (rn).
CREATE TEMP TABLE ep AS
SELECT rowid AS rn, CHILD AS child,
       CAST(substr(DECOM, 7, 4) || substr(DECOM, 4, 2) || substr(DECOM, 1, 2) AS INTEGER)
           AS decom,
       CASE WHEN DEC = '' THEN NULL
            ELSE CAST(substr(DEC, 7, 4) || substr(DEC, 4, 2) || substr(DEC, 1, 2) AS INTEGER)
       END AS dec,
       RNE AS rne, LS AS ls, PLACE AS place, REC AS rec
FROM episodes WHERE LS NOT IN ('V3', 'V4');

-- CLA: the current episode is the open one with the latest DECOM.
CREATE TEMP TABLE cla AS
SELECT a.*, CASE WHEN (params.r - a.dob) / 10000 < 1 THEN 'under_1' WHEN (params.r - a.dob) / 10000 <= 4 THEN '1_to_4'
            WHEN (params.r - a.dob) / 10000 <= 9 THEN '5_to_9' WHEN (params.r - a.dob) / 10000 <= 15 THEN '10_to_15' ELSE '16_plus' END AS age_g,
       CASE WHEN c.ls IN ('C1', 'C2') THEN 'care_order'
            WHEN c.ls IN ('E1', 'D1') THEN 'placement_order' WHEN c.ls = 'V2' THEN 'voluntary'
            WHEN c.ls IN ('J1', 'J2', 'J3') THEN 'youth_justice'
            WHEN c.ls IN ('L1', 'L2', 'L3') THEN 'emergency' END AS ls_g,
       CASE WHEN c.place IN ('U1', 'U2', 'U3') THEN 'foster_kinship'
            WHEN c.place IN ('U4', 'U5', 'U6') THEN 'foster_other'
            WHEN c.place IN ('A3', 'A4', 'A5', 'A6') THEN 'adoption'
            WHEN c.place = 'P1' THEN 'with_parents' WHEN c.place = 'K2' THEN 'childrens_home'
            WHEN c.place = 'K1' THEN 'secure'
            WHEN c.place IN ('H5', 'K3', 'P2') THEN 'supported_or_independent'
            WHEN c.place IN ('P3', 'R1', 'R2', 'R3', 'S1') THEN 'residential_other'
            WHEN c.place = 'R5' THEN 'custody'
            WHEN c.place IN ('T0', 'T1', 'T2', 'T3', 'T4') THEN 'temporary'
            WHEN c.place IN ('Z1', 'Z11', 'Z12', 'Z13', 'Z14') THEN 'other' END AS place_g
FROM (SELECT child, ls, place,
             row_number() OVER (PARTITION BY child ORDER BY decom DESC, rn DESC) AS k
      FROM ep, params WHERE decom <= params.r AND (dec IS NULL OR dec > params.r)) c
JOIN attr a ON a.child = c.child, params
WHERE c.k = 1;

-- Started: age at the DECOM of the child's first RNE = S episode in the year.
CREATE TEMP TABLE started AS
SELECT a.*, CASE WHEN (x.at - a.dob) / 10000 < 1 THEN 'under_1' WHEN (x.at - a.dob) / 10000 <= 4 THEN '1_to_4'
            WHEN (x.at - a.dob) / 10000 <= 9 THEN '5_to_9' WHEN (x.at - a.dob) / 10000 <= 15 THEN '10_to_15' ELSE '16_plus' END AS age_g
FROM (SELECT child, min(decom) AS at FROM ep, params
      WHERE rne = 'S' AND decom BETWEEN params.s AND params.r GROUP BY child) x
JOIN attr a ON a.child = x.child;

-- Ceased: the reason is the REC of the last ceasing episode (latest DEC, then DECOM).
CREATE TEMP TABLE ceased AS
SELECT a.*,
       CASE WHEN x.rec IN ('E11', 'E12') THEN 'adopted'
            WHEN x.rec IN ('E45', 'E46', 'E47', 'E48', 'E43', 'E44') THEN 'sgo'
            WHEN x.rec IN ('E4A', 'E4B', 'E13') THEN 'returned_home'
            WHEN x.rec IN ('E5', 'E6', 'E17') THEN 'independent_living' ELSE 'other' END
           AS reason_g
FROM (SELECT child, rec,
             row_number() OVER (PARTITION BY child ORDER BY dec DESC, decom DESC, rn DESC) AS k
      FROM ep, params
      WHERE rec <> '' AND rec <> 'X1' AND dec BETWEEN params.s AND params.r) x
JOIN attr a ON a.child = x.child
WHERE x.k = 1;

-- Placements in the year: the first overlapping episode (by DECOM, then file order) counts,
-- each later one when its RNE is S, P, T, U or B.
CREATE TEMP TABLE placements_3plus AS
SELECT cla.* FROM cla JOIN (
  SELECT child FROM (
    SELECT child, rne, row_number() OVER (PARTITION BY child ORDER BY decom, rn) AS k
    FROM ep, params WHERE decom <= params.r AND (dec IS NULL OR dec >= params.s))
  GROUP BY child
  HAVING sum(CASE WHEN k = 1 OR rne IN ('S', 'P', 'T', 'U', 'B') THEN 1 ELSE 0 END) >= 3) p
ON p.child = cla.child;

-- Care leavers aged 17-25 in the year (age_in_year = completed age at R, DOB from Header).
CREATE TEMP TABLE leavers AS
SELECT a.*, o.IN_TOUCH AS in_touch, o.ACTIV AS activ, o.ACCOM AS accom,
       CASE WHEN (params.r - a.dob) / 10000 <= 18 THEN '17_to_18'
            WHEN (params.r - a.dob) / 10000 <= 21 THEN '19_to_21' ELSE '22_to_25' END
           AS leaver_age_g
FROM oc3 o JOIN attr a ON a.child = o.CHILD, params
WHERE (params.r - a.dob) / 10000 BETWEEN 17 AND 25;

-- Missing (M) and away without authorisation (A): age at the first such MIS_START in the year.
CREATE TEMP TABLE miss AS
SELECT a.*, x.kind, CASE WHEN (x.at - a.dob) / 10000 < 1 THEN 'under_1' WHEN (x.at - a.dob) / 10000 <= 4 THEN '1_to_4'
            WHEN (x.at - a.dob) / 10000 <= 9 THEN '5_to_9' WHEN (x.at - a.dob) / 10000 <= 15 THEN '10_to_15' ELSE '16_plus' END AS age_g
FROM (SELECT CHILD AS child, MISSING AS kind, min(d) AS at
      FROM (SELECT CHILD, MISSING,
                   CAST(substr(MIS_START, 7, 4) || substr(MIS_START, 4, 2)
                        || substr(MIS_START, 1, 2) AS INTEGER) AS d
            FROM missing WHERE MISSING IN ('M', 'A')), params
      WHERE d BETWEEN params.s AND params.r
      GROUP BY CHILD, MISSING) x
JOIN attr a ON a.child = x.child;

-- Counted cells. Every cohort table has one row per child.
CREATE TEMP TABLE counts(indicator TEXT, breakdown TEXT, grp TEXT, n INTEGER);
-- cla
INSERT INTO counts
SELECT 'cla', 'total', 'total', count(*) FROM cla GROUP BY 3
UNION ALL SELECT 'cla', 'sex', sex_g, count(*) FROM cla GROUP BY 3
UNION ALL SELECT 'cla', 'age', age_g, count(*) FROM cla GROUP BY 3
UNION ALL SELECT 'cla', 'ethnicity', eth_g, count(*) FROM cla GROUP BY 3
UNION ALL SELECT 'cla', 'uasc', uasc_g, count(*) FROM cla GROUP BY 3
UNION ALL SELECT 'cla', 'legal_status', ls_g, count(*) FROM cla GROUP BY 3
UNION ALL SELECT 'cla', 'placement', place_g, count(*) FROM cla GROUP BY 3
UNION ALL SELECT 'cla', 'nationality', nat_g, count(*) FROM cla GROUP BY 3
UNION ALL SELECT 'cla', 'immigration_status', imm_g, count(*) FROM cla GROUP BY 3
UNION ALL SELECT 'cla', 'nrpf', nrpf_g, count(*) FROM cla GROUP BY 3;
-- started
INSERT INTO counts
SELECT 'started', 'total', 'total', count(*) FROM started GROUP BY 3
UNION ALL SELECT 'started', 'sex', sex_g, count(*) FROM started GROUP BY 3
UNION ALL SELECT 'started', 'age', age_g, count(*) FROM started GROUP BY 3
UNION ALL SELECT 'started', 'uasc', uasc_g, count(*) FROM started GROUP BY 3
UNION ALL SELECT 'started', 'nationality', nat_g, count(*) FROM started GROUP BY 3;
-- ceased
INSERT INTO counts
SELECT 'ceased', 'total', 'total', count(*) FROM ceased GROUP BY 3
UNION ALL SELECT 'ceased', 'ceased_reason', reason_g, count(*) FROM ceased GROUP BY 3
UNION ALL SELECT 'ceased', 'uasc', uasc_g, count(*) FROM ceased GROUP BY 3
UNION ALL SELECT 'ceased', 'nationality', nat_g, count(*) FROM ceased GROUP BY 3;
-- placements_3plus
INSERT INTO counts
SELECT 'placements_3plus', 'total', 'total', count(*) FROM placements_3plus GROUP BY 3
UNION ALL SELECT 'placements_3plus', 'age', age_g, count(*) FROM placements_3plus GROUP BY 3
UNION ALL SELECT 'placements_3plus', 'uasc', uasc_g, count(*) FROM placements_3plus GROUP BY 3
UNION ALL SELECT 'placements_3plus', 'nationality', nat_g, count(*) FROM placements_3plus GROUP BY 3;
-- leavers
INSERT INTO counts
SELECT 'leavers', 'leaver_age', leaver_age_g, count(*) FROM leavers GROUP BY 3
UNION ALL SELECT 'leavers', 'uasc', uasc_g, count(*) FROM leavers GROUP BY 3
UNION ALL SELECT 'leavers', 'nationality', nat_g, count(*) FROM leavers GROUP BY 3;
-- leavers_in_touch
INSERT INTO counts
SELECT 'leavers_in_touch', 'leaver_age', leaver_age_g, count(*) FROM (SELECT * FROM leavers WHERE in_touch = 'YES') GROUP BY 3
UNION ALL SELECT 'leavers_in_touch', 'uasc', uasc_g, count(*) FROM (SELECT * FROM leavers WHERE in_touch = 'YES') GROUP BY 3
UNION ALL SELECT 'leavers_in_touch', 'nationality', nat_g, count(*) FROM (SELECT * FROM leavers WHERE in_touch = 'YES') GROUP BY 3;
-- leavers_eet
INSERT INTO counts
SELECT 'leavers_eet', 'leaver_age', leaver_age_g, count(*) FROM (SELECT * FROM leavers WHERE substr(activ, 1, 1) IN ('F', 'P')) GROUP BY 3
UNION ALL SELECT 'leavers_eet', 'uasc', uasc_g, count(*) FROM (SELECT * FROM leavers WHERE substr(activ, 1, 1) IN ('F', 'P')) GROUP BY 3
UNION ALL SELECT 'leavers_eet', 'nationality', nat_g, count(*) FROM (SELECT * FROM leavers WHERE substr(activ, 1, 1) IN ('F', 'P')) GROUP BY 3;
-- leavers_suitable_accom
INSERT INTO counts
SELECT 'leavers_suitable_accom', 'leaver_age', leaver_age_g, count(*) FROM (SELECT * FROM leavers WHERE substr(accom, -1, 1) = '1') GROUP BY 3
UNION ALL SELECT 'leavers_suitable_accom', 'uasc', uasc_g, count(*) FROM (SELECT * FROM leavers WHERE substr(accom, -1, 1) = '1') GROUP BY 3
UNION ALL SELECT 'leavers_suitable_accom', 'nationality', nat_g, count(*) FROM (SELECT * FROM leavers WHERE substr(accom, -1, 1) = '1') GROUP BY 3;
-- missing
INSERT INTO counts
SELECT 'missing', 'total', 'total', count(*) FROM (SELECT * FROM miss WHERE kind = 'M') GROUP BY 3
UNION ALL SELECT 'missing', 'sex', sex_g, count(*) FROM (SELECT * FROM miss WHERE kind = 'M') GROUP BY 3
UNION ALL SELECT 'missing', 'age', age_g, count(*) FROM (SELECT * FROM miss WHERE kind = 'M') GROUP BY 3
UNION ALL SELECT 'missing', 'nationality', nat_g, count(*) FROM (SELECT * FROM miss WHERE kind = 'M') GROUP BY 3;
-- away_no_auth
INSERT INTO counts
SELECT 'away_no_auth', 'total', 'total', count(*) FROM (SELECT * FROM miss WHERE kind = 'A') GROUP BY 3
UNION ALL SELECT 'away_no_auth', 'sex', sex_g, count(*) FROM (SELECT * FROM miss WHERE kind = 'A') GROUP BY 3
UNION ALL SELECT 'away_no_auth', 'age', age_g, count(*) FROM (SELECT * FROM miss WHERE kind = 'A') GROUP BY 3
UNION ALL SELECT 'away_no_auth', 'nationality', nat_g, count(*) FROM (SELECT * FROM miss WHERE kind = 'A') GROUP BY 3;

-- Every cell of the grid, in catalogue order, zeros included.
CREATE TEMP TABLE cells(ord INTEGER PRIMARY KEY, indicator TEXT, breakdown TEXT, grp TEXT);
INSERT INTO cells(indicator, breakdown, grp) VALUES
  ('cla', 'total', 'total'), ('cla', 'sex', 'male'), ('cla', 'sex', 'female'),
  ('cla', 'sex', 'unknown'), ('cla', 'age', 'under_1'), ('cla', 'age', '1_to_4'),
  ('cla', 'age', '5_to_9'), ('cla', 'age', '10_to_15'), ('cla', 'age', '16_plus'),
  ('cla', 'ethnicity', 'white'), ('cla', 'ethnicity', 'mixed'), ('cla', 'ethnicity', 'asian'),
  ('cla', 'ethnicity', 'black'), ('cla', 'ethnicity', 'other'), ('cla', 'ethnicity', 'not_known'),
  ('cla', 'uasc', 'uasc'), ('cla', 'uasc', 'not_uasc'), ('cla', 'legal_status', 'care_order'),
  ('cla', 'legal_status', 'placement_order'), ('cla', 'legal_status', 'voluntary'), ('cla', 'legal_status', 'youth_justice'),
  ('cla', 'legal_status', 'emergency'), ('cla', 'placement', 'foster_kinship'), ('cla', 'placement', 'foster_other'),
  ('cla', 'placement', 'adoption'), ('cla', 'placement', 'with_parents'), ('cla', 'placement', 'childrens_home'),
  ('cla', 'placement', 'secure'), ('cla', 'placement', 'supported_or_independent'), ('cla', 'placement', 'residential_other'),
  ('cla', 'placement', 'custody'), ('cla', 'placement', 'temporary'), ('cla', 'placement', 'other'),
  ('cla', 'nationality', 'british'), ('cla', 'nationality', 'eu_eea_swiss'), ('cla', 'nationality', 'other'),
  ('cla', 'nationality', 'unknown'), ('cla', 'immigration_status', 'british_or_settled'), ('cla', 'immigration_status', 'limited_leave'),
  ('cla', 'immigration_status', 'asylum_seeker'), ('cla', 'immigration_status', 'refugee_or_protection'), ('cla', 'immigration_status', 'no_status'),
  ('cla', 'immigration_status', 'unknown'), ('cla', 'nrpf', 'nrpf'), ('cla', 'nrpf', 'not_nrpf'),
  ('cla', 'nrpf', 'unknown'), ('started', 'total', 'total'), ('started', 'sex', 'male'),
  ('started', 'sex', 'female'), ('started', 'sex', 'unknown'), ('started', 'age', 'under_1'),
  ('started', 'age', '1_to_4'), ('started', 'age', '5_to_9'), ('started', 'age', '10_to_15'),
  ('started', 'age', '16_plus'), ('started', 'uasc', 'uasc'), ('started', 'uasc', 'not_uasc'),
  ('started', 'nationality', 'british'), ('started', 'nationality', 'eu_eea_swiss'), ('started', 'nationality', 'other'),
  ('started', 'nationality', 'unknown'), ('ceased', 'total', 'total'), ('ceased', 'ceased_reason', 'adopted'),
  ('ceased', 'ceased_reason', 'sgo'), ('ceased', 'ceased_reason', 'returned_home'), ('ceased', 'ceased_reason', 'independent_living'),
  ('ceased', 'ceased_reason', 'other'), ('ceased', 'uasc', 'uasc'), ('ceased', 'uasc', 'not_uasc'),
  ('ceased', 'nationality', 'british'), ('ceased', 'nationality', 'eu_eea_swiss'), ('ceased', 'nationality', 'other'),
  ('ceased', 'nationality', 'unknown'), ('placements_3plus', 'total', 'total'), ('placements_3plus', 'age', 'under_1'),
  ('placements_3plus', 'age', '1_to_4'), ('placements_3plus', 'age', '5_to_9'), ('placements_3plus', 'age', '10_to_15'),
  ('placements_3plus', 'age', '16_plus'), ('placements_3plus', 'uasc', 'uasc'), ('placements_3plus', 'uasc', 'not_uasc'),
  ('placements_3plus', 'nationality', 'british'), ('placements_3plus', 'nationality', 'eu_eea_swiss'), ('placements_3plus', 'nationality', 'other'),
  ('placements_3plus', 'nationality', 'unknown'), ('leavers', 'leaver_age', '17_to_18'), ('leavers', 'leaver_age', '19_to_21'),
  ('leavers', 'leaver_age', '22_to_25'), ('leavers', 'uasc', 'uasc'), ('leavers', 'uasc', 'not_uasc'),
  ('leavers', 'nationality', 'british'), ('leavers', 'nationality', 'eu_eea_swiss'), ('leavers', 'nationality', 'other'),
  ('leavers', 'nationality', 'unknown'), ('leavers_in_touch', 'leaver_age', '17_to_18'), ('leavers_in_touch', 'leaver_age', '19_to_21'),
  ('leavers_in_touch', 'leaver_age', '22_to_25'), ('leavers_in_touch', 'uasc', 'uasc'), ('leavers_in_touch', 'uasc', 'not_uasc'),
  ('leavers_in_touch', 'nationality', 'british'), ('leavers_in_touch', 'nationality', 'eu_eea_swiss'), ('leavers_in_touch', 'nationality', 'other'),
  ('leavers_in_touch', 'nationality', 'unknown'), ('leavers_eet', 'leaver_age', '17_to_18'), ('leavers_eet', 'leaver_age', '19_to_21'),
  ('leavers_eet', 'leaver_age', '22_to_25'), ('leavers_eet', 'uasc', 'uasc'), ('leavers_eet', 'uasc', 'not_uasc'),
  ('leavers_eet', 'nationality', 'british'), ('leavers_eet', 'nationality', 'eu_eea_swiss'), ('leavers_eet', 'nationality', 'other'),
  ('leavers_eet', 'nationality', 'unknown'), ('leavers_suitable_accom', 'leaver_age', '17_to_18'), ('leavers_suitable_accom', 'leaver_age', '19_to_21'),
  ('leavers_suitable_accom', 'leaver_age', '22_to_25'), ('leavers_suitable_accom', 'uasc', 'uasc'), ('leavers_suitable_accom', 'uasc', 'not_uasc'),
  ('leavers_suitable_accom', 'nationality', 'british'), ('leavers_suitable_accom', 'nationality', 'eu_eea_swiss'), ('leavers_suitable_accom', 'nationality', 'other'),
  ('leavers_suitable_accom', 'nationality', 'unknown'), ('missing', 'total', 'total'), ('missing', 'sex', 'male'),
  ('missing', 'sex', 'female'), ('missing', 'sex', 'unknown'), ('missing', 'age', 'under_1'),
  ('missing', 'age', '1_to_4'), ('missing', 'age', '5_to_9'), ('missing', 'age', '10_to_15'),
  ('missing', 'age', '16_plus'), ('missing', 'nationality', 'british'), ('missing', 'nationality', 'eu_eea_swiss'),
  ('missing', 'nationality', 'other'), ('missing', 'nationality', 'unknown'), ('away_no_auth', 'total', 'total'),
  ('away_no_auth', 'sex', 'male'), ('away_no_auth', 'sex', 'female'), ('away_no_auth', 'sex', 'unknown'),
  ('away_no_auth', 'age', 'under_1'), ('away_no_auth', 'age', '1_to_4'), ('away_no_auth', 'age', '5_to_9'),
  ('away_no_auth', 'age', '10_to_15'), ('away_no_auth', 'age', '16_plus'), ('away_no_auth', 'nationality', 'british'),
  ('away_no_auth', 'nationality', 'eu_eea_swiss'), ('away_no_auth', 'nationality', 'other'), ('away_no_auth', 'nationality', 'unknown');

.headers on
.mode csv
SELECT c.indicator, c.breakdown, c.grp AS "group", coalesce(sum(k.n), 0) AS value
FROM cells c LEFT JOIN counts k
  ON k.indicator = c.indicator AND k.breakdown = c.breakdown AND k.grp = c.grp
GROUP BY c.ord ORDER BY c.ord;
