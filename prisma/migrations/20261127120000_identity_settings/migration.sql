-- AlterTable
ALTER TABLE "Identity" ADD COLUMN     "autoWithdrawAfterDays" INTEGER NOT NULL DEFAULT 14,
ADD COLUMN     "autoWithdrawEnabled" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "dailyConnectionRequests" INTEGER NOT NULL DEFAULT 20,
ADD COLUMN     "dailyMessages" INTEGER NOT NULL DEFAULT 100,
ADD COLUMN     "dailyScrapings" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "deletedAt" TIMESTAMP(3),
ADD COLUMN     "likingsOptOut" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "linkedinLimitsRaisedUntil" TIMESTAMP(3),
ADD COLUMN     "salesNavigatorEnabled" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "signatureHtml" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "signatureMode" TEXT NOT NULL DEFAULT 'rich-text';

