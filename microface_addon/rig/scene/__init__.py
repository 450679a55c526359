"""Reading a Blender scene (``bpy``) into the rig stage's plain data; writes nothing.

Entry point: ``detect.detect(members, profile=None, overrides=None, profile_dirs=None)`` →
``RigMap``; raises ``NothingToMapError`` / ``ProfileError`` / ``RigError``.

Which objects: ``character`` — ``characters_of(objects)`` (armature first, then its meshes),
``character_id`` (the stamped identity, or the name), ``armature_of``; ``character_settings`` — a
character's own preset/seed/intensity/layers, read from its custom property.
Which profile: ``profile_folders`` — ``available_profiles``/``find_profile`` including the
user's Blender config folder, ``user_profile_dirs``.
Which bones: ``skeleton`` — ``find_skeleton(armature, hints, source, skins)`` → ``Skeleton``
(VRM metadata, profile hints, then evidence: eyeball meshes, safe names, geometry).
Which objects: ``objects`` — ``find_object_roles(members, keyed_meshes)`` → ``ObjectRoles``
(head and eye empties, Face Cap).
Which eyeball: ``eyeballs`` — eyeballs as geometry (``Skins``, ``eyeball_of_bone``,
``eyeball_of_object``, ``is_round``) and how far a control turns one (``bone_turn``,
``shape_key_turn``); ``parts`` — ``resolve_parts``: one driver per moved part, gaze
calibrated on the eyeball.
Which controls: ``drivers`` — ``driven_keys(mesh)``, ``driving_control(fcurve, armature)``
(the bone behind a driven key); ``calibration`` — ``calibrate`` (control targets measured on
the rest pose), ``frame_axes``, ``local_axis``, ``direction``.
What the gaze aims at: ``look_at`` — ``resolve_look_at(scene, rigmap, spec, start, end, fps)``
→ ``LookAt`` track from the rig map's skeleton (call it inside ``bake.muted(members)`` to
measure the user's own head animation); ``LookAtError``.
Cues: ``markers`` — ``scene_marker_timeline(scene, start_frame, fps, vocab)``.

May import ``core``, ``rig.convention`` and ``compat``; never ``bake`` or anything later.
"""
