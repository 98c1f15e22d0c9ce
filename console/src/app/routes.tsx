import { HashRouter, Navigate, Route, Routes } from 'react-router';
import { ApiKeyFormPage } from '../pages/ApiKeyFormPage';
import { ApiKeysPage } from '../pages/ApiKeysPage';
import { AuditLogPage } from '../pages/AuditLogPage';
import { OrganizationPicker } from '../pages/OrganizationPicker';
import { SettingsPage } from '../pages/SettingsPage';
import { NotFound, OrganizationLayout, Shell } from './Shell';

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
            <Route path="audit_log" element={<AuditLogPage />} />
            <Route path="settings" element={<SettingsPage />} />
          </Route>
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </HashRouter>
  );
}
