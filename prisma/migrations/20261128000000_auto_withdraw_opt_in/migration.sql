-- Automatic withdrawal is opt-in (SPEC §2: "off until the user enables it").
-- Only the default for new identities changes: existing identities keep their current setting.
ALTER TABLE "Identity" ALTER COLUMN "autoWithdrawEnabled" SET DEFAULT false;
