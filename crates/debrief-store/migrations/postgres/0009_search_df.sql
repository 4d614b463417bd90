-- How many incidents have each term, kept as incidents are indexed, so a search learns how
-- rare its words are without counting their postings.
CREATE TABLE search_df (
    term TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    df   BIGINT NOT NULL
);
INSERT INTO search_df (term, df)
    SELECT term, COUNT(DISTINCT incident_id) FROM search_terms GROUP BY term;
