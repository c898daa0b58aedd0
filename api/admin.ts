import { timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { ApiKey, Workspace } from '@prisma/client';
import type { Database } from '../db/client';
import { ConflictError, NotFoundError, ServiceUnavailableError, UnauthorizedError } from '../lib/errors';
import { bearerToken, generateApiKey, hashApiKey } from './auth';
import type { IdentityWorkflows } from './identity-workflows';
import { afterCursor, page, paginationSchema } from './pagination';
import { parseInput } from './problem';
import { isUuid } from './ids';

const workspaceFields = {
  name: z.string().trim().min(1).max(200),
  linkedinScrapingPoolPerDay: z.number().int().min(0).max(100_000),
};

export const createWorkspaceSchema = z.strictObject({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be 2–63 lowercase letters, digits or dashes'),
  name: workspaceFields.name,
  linkedinScrapingPoolPerDay: workspaceFields.linkedinScrapingPoolPerDay.default(0),
});

export const updateWorkspaceSchema = z
  .strictObject({ name: workspaceFields.name.optional(), linkedinScrapingPoolPerDay: workspaceFields.linkedinScrapingPoolPerDay.optional() })
  .refine((change) => Object.keys(change).length > 0, 'name at least one field to change');

export const createApiKeySchema = z.strictObject({ name: z.string().trim().min(1).max(100) });

export function workspaceView(workspace: Workspace) {
  return {
    id: workspace.id,
    slug: workspace.slug,
    name: workspace.name,
    linkedinScrapingPoolPerDay: workspace.linkedinScrapingPoolPerDay,
    createdAt: workspace.createdAt.toISOString(),
  };
}

/** Never the hash, never the key: a key is shown once, when created. */
function apiKeyView(apiKey: ApiKey) {
  return {
    id: apiKey.id,
    name: apiKey.name,
    createdAt: apiKey.createdAt.toISOString(),
    lastUsedAt: apiKey.lastUsedAt?.toISOString() ?? null,
    revokedAt: apiKey.revokedAt?.toISOString() ?? null,
  };
}

/** Operator routes are refused unless OPERATOR_API_KEY is configured and presented. */
export function requireOperator(operatorApiKey: string | undefined): RequestHandler {
  const expected = operatorApiKey ? Buffer.from(hashApiKey(operatorApiKey)) : undefined;
  return (request, _response, next) => {
    if (!expected) throw new ServiceUnavailableError('Operator routes are disabled: set OPERATOR_API_KEY to enable them');
    const presented = Buffer.from(hashApiKey(bearerToken(request) ?? ''));
    if (!timingSafeEqual(presented, expected)) throw new UnauthorizedError('This route requires the operator key');
    next();
  };
}

/** Workspaces and their API keys, for operators (support staff), not for workspace callers. */
export function adminRoutes(db: Database, operatorApiKey: string | undefined, identityWorkflows: IdentityWorkflows): Router {
  const router = Router();
  router.use('/admin', requireOperator(operatorApiKey));

  async function findWorkspace(id: string): Promise<Workspace> {
    const workspace = isUuid(id) ? await db.workspace.findUnique({ where: { id } }) : null;
    if (!workspace) throw new NotFoundError(`No workspace ${id}`);
    return workspace;
  }

  router.post('/admin/workspaces', async (request, response) => {
    const input = parseInput(createWorkspaceSchema, request.body);
    if (await db.workspace.findUnique({ where: { slug: input.slug } })) {
      throw new ConflictError(`A workspace with slug "${input.slug}" already exists`);
    }
    const workspace = await db.workspace.create({ data: input });
    response.status(201).location(`/admin/workspaces/${workspace.id}`).json(workspaceView(workspace));
  });

  router.get('/admin/workspaces', async (request, response) => {
    const { limit, cursor } = parseInput(paginationSchema, request.query);
    const rows = await db.workspace.findMany({
      where: afterCursor(cursor),
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit + 1,
    });
    const { items, nextCursor } = page(rows, limit);
    response.json({ items: items.map(workspaceView), nextCursor });
  });

  router.patch('/admin/workspaces/:id', async (request, response) => {
    const existing = await findWorkspace(request.params.id);
    const change = parseInput(updateWorkspaceSchema, request.body);
    const workspace = await db.$transaction(async (tx) => {
      const updated = await tx.workspace.update({ where: { id: existing.id }, data: change });
      await tx.auditEntry.create({
        data: {
          workspaceId: existing.id,
          entityType: 'workspace',
          entityId: existing.id,
          action: 'workspace.updated',
          before: workspaceView(existing),
          after: workspaceView(updated),
        },
      });
      return updated;
    });
    if (change.linkedinScrapingPoolPerDay !== undefined && change.linkedinScrapingPoolPerDay !== existing.linkedinScrapingPoolPerDay) {
      // Each identity's workflow paces scrapes with the pool: tell every one of them.
      const identities = await db.identity.findMany({ where: { workspaceId: existing.id, deletedAt: null }, select: { id: true } });
      for (const { id } of identities) await identityWorkflows.workspaceScrapingPoolChanged(id, workspace.linkedinScrapingPoolPerDay);
    }
    response.json(workspaceView(workspace));
  });

  router.post('/admin/workspaces/:id/api-keys', async (request, response) => {
    const workspace = await findWorkspace(request.params.id);
    const { name } = parseInput(createApiKeySchema, request.body);
    const key = generateApiKey();
    const apiKey = await db.$transaction(async (tx) => {
      const created = await tx.apiKey.create({ data: { workspaceId: workspace.id, name, keyHash: hashApiKey(key) } });
      await tx.auditEntry.create({
        data: { workspaceId: workspace.id, entityType: 'api-key', entityId: created.id, action: 'api-key.created', after: apiKeyView(created) },
      });
      return created;
    });
    response.status(201).json({ ...apiKeyView(apiKey), key });
  });

  router.get('/admin/workspaces/:id/api-keys', async (request, response) => {
    const workspace = await findWorkspace(request.params.id);
    const keys = await db.apiKey.findMany({ where: { workspaceId: workspace.id }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    response.json({ items: keys.map(apiKeyView) });
  });

  /** Revocation takes effect on the next request; revoking twice is harmless. */
  router.delete('/admin/workspaces/:id/api-keys/:keyId', async (request, response) => {
    const workspace = await findWorkspace(request.params.id);
    const apiKey = isUuid(request.params.keyId)
      ? await db.apiKey.findFirst({ where: { id: request.params.keyId, workspaceId: workspace.id } })
      : null;
    if (!apiKey) throw new NotFoundError(`No API key ${request.params.keyId} in workspace ${workspace.id}`);
    if (!apiKey.revokedAt) {
      await db.$transaction(async (tx) => {
        const revoked = await tx.apiKey.update({ where: { id: apiKey.id }, data: { revokedAt: new Date() } });
        await tx.auditEntry.create({
          data: {
            workspaceId: workspace.id,
            entityType: 'api-key',
            entityId: apiKey.id,
            action: 'api-key.revoked',
            before: apiKeyView(apiKey),
            after: apiKeyView(revoked),
          },
        });
      });
    }
    response.status(204).end();
  });

  return router;
}
