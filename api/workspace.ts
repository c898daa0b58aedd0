import { Router } from 'express';
import type { Database } from '../db/client';
import { workspaceView } from './admin';
import { callerOf } from './auth';

/** The caller's own workspace (read-only: operators change it through /admin). */
export function workspaceRoutes(db: Database): Router {
  const router = Router();
  router.get('/workspace', async (request, response) => {
    const workspace = await db.workspace.findUniqueOrThrow({ where: { id: callerOf(request).workspaceId } });
    response.json(workspaceView(workspace));
  });
  return router;
}
