import { lazy } from 'react';
import { HashRouter, Navigate, Route, Routes } from 'react-router';
import { ApiKeysPage } from '../pages/ApiKeysPage';
import { OrganizationPicker } from '../pages/OrganizationPicker';
import { NotFound, OrganizationLayout, Shell } from './Shell';

// The keys page (and the picker before it) is what a sign-in lands on: it is in the entry chunk.
// The other pages are chunks of their own, fetched the first time one is opened (README, Console).
const ApiKeyFormPage = lazy(() => import('../pages/ApiKeyFormPage').then((page) => ({ default: page.ApiKeyFormPage })));
const AuditLogPage = lazy(() => import('../pages/AuditLogPage').then((page) => ({ default: page.AuditLogPage })));
// The usage page carries the chart library (uPlot): only its chunk loads it.
const UsagePage = lazy(() => import('../pages/UsagePage').then((page) => ({ default: page.UsagePage })));
const SettingsPage = lazy(() => import('../pages/SettingsPage').then((page) => ({ default: page.SettingsPage })));

/**
 * The console's pages. Hash routes (`/console/#/organizations/demo/api_keys`): the server (the
 * local gateway, S3 + CloudFront) only ever serves static files, and needs no rewrite rule.
 */
export function ConsoleRoutes() {
  return (
    <HashRouter>
      <Routes>
        <Route path="/" element={<Shell />}>
          <Route index element={<OrganizationPicker />} />
          <Route path="organizations/:organizationId" element={<OrganizationLayout />}>
            <Route index element={<Navigate to="api_keys" replace />} />
            <Route path="api_keys" element={<ApiKeysPage />} />
            <Route path="api_keys/new" element={<ApiKeyFormPage mode="add" />} />
            <Route path="api_keys/:apiKeyId/edit" element={<ApiKeyFormPage mode="edit" />} />
            <Route path="usage" element={<UsagePage />} />
            <Route path="audit_log" element={<AuditLogPage />} />
            <Route path="settings" element={<SettingsPage />} />
          </Route>
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </HashRouter>
  );
}
