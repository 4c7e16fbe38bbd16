/** glance's policy rules (its legacy defaults): who may read, write, share, publicize and manage metadata definitions. */
import { rules, type Policy, type PolicyCheck } from '@strata/auth';

/** The member project itself (glance's `project_id:%(member_id)s`), or an admin. */
const adminOrMemberProject: PolicyCheck = (ctx, t) => ctx.isAdmin || (t.projectId != null && t.projectId === ctx.projectId);

/** Rule names follow glance's policy.yaml. Visibility (what a project may see at all) is enforced by ImageApi, not here. */
export const imagePolicy: Policy = {
  get_image: rules.any,
  get_images: rules.any,
  download_image: rules.any,
  add_image: rules.adminOrMember,
  modify_image: rules.adminOrMember,
  delete_image: rules.adminOrMember,
  upload_image: rules.adminOrMember,
  import_image: rules.adminOrMember,
  deactivate: rules.adminOrMember,
  reactivate: rules.adminOrMember,
  publicize_image: rules.admin,
  communitize_image: rules.adminOrMember,
  set_image_owner: rules.admin,
  get_member: rules.any,
  get_members: rules.any,
  add_member: rules.adminOrMember,
  delete_member: rules.adminOrMember,
  modify_member: adminOrMemberProject,
  get_image_tasks: rules.adminOrReader,
  get_info: rules.any,
  get_metadef: rules.any,
  manage_metadef: rules.admin,
};
