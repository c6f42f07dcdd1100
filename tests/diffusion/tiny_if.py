"""Tiny, randomly initialised DeepFloyd-IF-shaped components, as in diffusers'
tests/pipelines/deepfloyd_if/__init__.py: a UNet2DConditionModel with 6 output
channels (3 noise + 3 learned-range variance) and a learned-range DDPMScheduler."""
import torch
from diffusers import DDPMScheduler, UNet2DConditionModel
from diffusers.models.attention_processor import AttnAddedKVProcessor

EMBED_DIM = 32


def tiny_unet(seed: int = 0) -> UNet2DConditionModel:
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=16, layers_per_block=1, block_out_channels=[32, 64],
        down_block_types=["ResnetDownsampleBlock2D", "SimpleCrossAttnDownBlock2D"],
        mid_block_type="UNetMidBlock2DSimpleCrossAttn",
        up_block_types=["SimpleCrossAttnUpBlock2D", "ResnetUpsampleBlock2D"],
        in_channels=3, out_channels=6, cross_attention_dim=EMBED_DIM, encoder_hid_dim=EMBED_DIM,
        attention_head_dim=8, addition_embed_type="text", addition_embed_type_num_heads=2,
        cross_attention_norm="group_norm", resnet_time_scale_shift="scale_shift", act_fn="gelu")
    unet.set_attn_processor(AttnAddedKVProcessor())
    return unet.eval()


def tiny_scheduler(thresholding: bool = True) -> DDPMScheduler:
    return DDPMScheduler(num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", beta_start=0.0001,
                         beta_end=0.02, thresholding=thresholding, dynamic_thresholding_ratio=0.95,
                         sample_max_value=1.0, prediction_type="epsilon", variance_type="learned_range")


def tiny_pipeline(thresholding: bool = True):
    from diffusers import IFPipeline

    return IFPipeline(tokenizer=None, text_encoder=None, unet=tiny_unet(), scheduler=tiny_scheduler(thresholding),
                      safety_checker=None, feature_extractor=None, watermarker=None, requires_safety_checker=False)
