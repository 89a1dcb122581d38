-- The pay-in-advance sweep looks up, per event, the pay-in-advance charges of one plan, those that went with a deleted
-- plan included (charges_plan_idx holds live charges only).
CREATE INDEX charges_in_advance_plan_idx ON charges (organization_id, plan_id) WHERE pay_in_advance;
