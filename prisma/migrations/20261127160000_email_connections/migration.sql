-- AlterTable
ALTER TABLE "EmailInbox" ADD COLUMN     "imapHost" TEXT,
ADD COLUMN     "imapPort" INTEGER,
ADD COLUMN     "imapSecurity" TEXT,
ADD COLUMN     "rateOverrideDaily" INTEGER,
ADD COLUMN     "rateOverrideExpiresAt" TIMESTAMP(3),
ADD COLUMN     "rateOverrideHourly" INTEGER,
ADD COLUMN     "rateOverrideReason" TEXT,
ADD COLUMN     "refreshTokenEnvelope" TEXT,
ADD COLUMN     "statusReason" TEXT,
ADD COLUMN     "syncLastUid" INTEGER,
ADD COLUMN     "syncUidValidity" BIGINT;

